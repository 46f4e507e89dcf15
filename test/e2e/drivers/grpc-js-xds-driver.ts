// A proxyless grpc-js client (@grpc/grpc-js-xds) as a driver process: DriverCommand lines on stdin, CallResult lines on stdout.
//
// Its own process because grpc-js-xds reads the bootstrap (GRPC_XDS_BOOTSTRAP_CONFIG) once per
// process and keeps one XdsClient per process. Run with `node --import tsx`.
import * as grpc from '@grpc/grpc-js';
import { register } from '@grpc/grpc-js-xds';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import type { CallResult, DriverCommand } from '../harness.js';

register();
const version = (createRequire(import.meta.url)('@grpc/grpc-js-xds/package.json') as { version: string }).version;

/** One channel per target, kept for the life of the driver (as an application would). */
const clients = new Map<string, grpc.Client>();

function clientFor(target: string): grpc.Client {
  let client = clients.get(target);
  if (!client) clients.set(target, (client = new grpc.Client(target, grpc.credentials.createInsecure())));
  return client;
}

const identity = (bytes: Buffer) => bytes;

function unary(client: grpc.Client, command: DriverCommand, body: Buffer): Promise<{ code: string; answer?: string; details?: string; ms: number }> {
  const start = performance.now();
  const metadata = new grpc.Metadata({ waitForReady: command.waitForReady ?? false });
  return new Promise((resolve) => {
    client.makeUnaryRequest(command.method, identity, identity, body, metadata, { deadline: Date.now() + (command.timeoutMs ?? 5000) }, (error, answer) => {
      const ms = performance.now() - start;
      if (error) resolve({ code: grpc.status[error.code] ?? String(error.code), details: error.details, ms });
      else resolve({ code: 'OK', answer: answer?.toString() ?? '', ms });
    });
  });
}

async function call(command: DriverCommand): Promise<CallResult> {
  const client = clientFor(command.target);
  const answers: Record<string, number> = {};
  const codes: Record<string, number> = {};
  const maxMs: Record<string, number> = {};
  const details: Record<string, string> = {};
  const batch = randomUUID();
  const start = performance.now();
  let issued = 0;
  const worker = async () => {
    while (issued < command.n) {
      const outcome = await unary(client, command, Buffer.from(`${batch}-${issued++}`));
      codes[outcome.code] = (codes[outcome.code] ?? 0) + 1;
      maxMs[outcome.code] = Math.max(maxMs[outcome.code] ?? 0, Math.round(outcome.ms));
      if (outcome.answer !== undefined) answers[outcome.answer] = (answers[outcome.answer] ?? 0) + 1;
      if (outcome.details !== undefined) details[outcome.code] ??= outcome.details;
    }
  };
  await Promise.all(Array.from({ length: Math.min(command.concurrency ?? 20, command.n) }, worker));
  return { answers, codes, maxMs, details, ms: Math.round(performance.now() - start) };
}

const write = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);
write({ ready: { client: `grpc-js-xds ${version}` } });
for await (const line of createInterface({ input: process.stdin })) {
  try {
    write(await call(JSON.parse(line) as DriverCommand));
  } catch (error) {
    write({ error: error instanceof Error ? error.message : String(error) });
  }
}
for (const client of clients.values()) client.close();
process.exit(0);
