#!/usr/bin/env node
import { runCli } from './program';

/** The `bootfleet` executable. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

void runCli(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readStdin,
  stderrIsTty: process.stderr.isTTY === true,
  terminal: { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
}).then((code) => {
  process.exitCode = code;
});
