// Runs the gitmesh CLI in-process with captured output, and makes throwaway policy folders.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCli } from '../../src/cli/main.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `gitmesh ARGS` in `cwd` and captures what it prints. */
export async function gitmesh(args: readonly string[], cwd = process.cwd(), env: Record<string, string> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env,
    cwd,
    isTty: false,
  });
  return { code, stdout, stderr };
}

/** Writes `files` (path → text or bytes) into a new temporary folder and returns its path. */
export async function tempRepo(files: Record<string, string | Uint8Array>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'gitmesh-test-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

/** A minimal valid mesh: a Mesh `default` and one Dataplane serving `backend`. */
export const BASE_MESH = `type: Mesh
name: default
---
type: Dataplane
name: backend-1
mesh: default
networking:
  address: 10.0.0.1
  inbound:
    - port: 8080
      tags:
        kuma.io/service: backend
        kuma.io/protocol: http
`;

/** A client of `backend` (from BASE_MESH): its outbound makes it the proxy a backend policy changes. */
export const CLIENT_OF_BACKEND = `type: Dataplane
name: client-1
mesh: default
networking:
  address: 10.0.0.2
  inbound:
    - port: 9090
      tags:
        kuma.io/service: client
        kuma.io/protocol: http
  outbound:
    - port: 8080
      tags:
        kuma.io/service: backend
`;

/** A MeshTimeout on calls to `backend` with this requestTimeout (any text: an invalid one makes a commit with errors). */
export function backendTimeout(requestTimeout: string): string {
  return `type: MeshTimeout
name: backend-timeout
mesh: default
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: MeshService
        name: backend
      default:
        http:
          requestTimeout: ${requestTimeout}
`;
}
