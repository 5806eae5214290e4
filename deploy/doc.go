// Package deploy holds no code. Its tests prove the deployment files of
// this directory and the repository root on a machine without a container
// engine: docker-compose.yml is loaded with the Compose specification's own
// loader and checked against each service's configuration; every NATS
// configuration is parsed by nats-server and its users' permissions are
// exercised by the real services on a server started from it;
// deploy/streams/ is compared with the streams the services create; the
// Dockerfile and the Kubernetes manifests are checked; and the compose
// topology runs as plain processes on loopback (skipped with -short).
package deploy
