// Validates an AsyncAPI document with the official parser (@asyncapi/parser,
// the version pinned in package-lock.json): the document against the
// AsyncAPI 3.0 schema, every $ref (the JSON Schema files under schemas/
// included) resolved, and the parser's own rules. Any diagnostic of
// severity error fails; warnings are printed and fail too, so the document
// stays clean.
//
//   node validate.mjs ../../schemas/asyncapi.json   (from .ci/asyncapi, after npm ci)
import { Parser, fromFile } from '@asyncapi/parser';
import path from 'node:path';

const file = process.argv[2];
if (!file) {
  console.error('usage: node validate.mjs <asyncapi document>');
  process.exit(2);
}
const severities = ['error', 'warning', 'info', 'hint'];
const parser = new Parser();
const { document, diagnostics } = await fromFile(parser, path.resolve(file)).parse();
let failed = false;
for (const d of diagnostics) {
  const where = d.path && d.path.length ? d.path.join('.') : '(document)';
  const level = severities[d.severity] ?? String(d.severity);
  console.log(`${level}: ${d.code}: ${d.message} at ${where}`);
  if (d.severity <= 1) failed = true;
}
if (!document || failed) {
  console.error(`${file}: not a valid AsyncAPI document`);
  process.exit(1);
}
const channels = document.channels();
const messages = document.allMessages();
let payloads = 0;
for (const m of messages) {
  const p = m.payload();
  if (!p || !p.json() || p.json().$ref) {
    console.error(`${file}: message ${m.id()} has an unresolved payload`);
    process.exit(1);
  }
  payloads++;
}
console.log(`${file}: valid AsyncAPI ${document.version()}: ${channels.length} channels, ${document.operations().length} operations, ${messages.length} messages, ${payloads} payload schemas resolved`);
