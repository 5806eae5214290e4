// Package sandbox holds local stand-ins for the provider APIs hookstream
// calls, so that tests and `hookstream dev` work with no account and no
// internet.
//
// THIS IS A SANDBOX. Nothing here talks to a real provider, nothing here is
// secure, and nothing here is used unless it is configured explicitly: a
// verifier or client reaches a sandbox only when its API URL is set to the
// sandbox's address. Every answer carries the header
// "X-Hookstream-Sandbox: <provider>" so that a misconfiguration shows up in
// any captured response. Bind sandboxes to loopback.
package sandbox

// HeaderSandbox is set on every response a sandbox sends; its value names
// the provider the sandbox imitates.
const HeaderSandbox = "X-Hookstream-Sandbox"
