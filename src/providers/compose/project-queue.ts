// The compose commands that make or remove what a project's services share (its network, its
// volumes: `up`, `down`) run one at a time per project. Two at once both create
// `<project>_default`, and every later command of the project then fails with "network … is
// ambiguous": stack services that name one compose project each run their own `up`.
//
// `up`s of one project with the same options that come in one turn of the event loop (one apply
// starting every ready service together) are one command with all their services, as
// `docker compose up -d a b c` is: compose creates and starts them in parallel itself, and its
// start-up (0.6–1 s for v1's Python) is paid once (issue 34).
import type { OperationContext } from '../../model/provider.js';
import { composeProjectName } from './argv.js';
import type { Run } from './cli.js';
import { mustRun, runFor } from './project.js';
import type { ComposeSpec } from './spec.js';

/** One stack service's `up`: `argv(services)` is its command for those compose services. */
export interface UpRequest {
  name: string;
  spec: ComposeSpec;
  argv: (services: readonly string[]) => string[];
  ctx: OperationContext;
  /** Whether it may share one command with others (not v2's `up --wait`, which would hold each until all are healthy). */
  together: boolean;
}

interface Member extends UpRequest {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface ProjectQueue {
  /** Runs `task` once every command queued before it for `project` has ended. */
  exclusive<T>(project: string, task: () => Promise<T>): Promise<T>;
  /** Runs `request`'s `up`, with the other `up`s of its project asked for in the same turn with the same options. */
  up(request: UpRequest): Promise<void>;
}

export function createProjectQueue(run: Run): ProjectQueue {
  const tails = new Map<string, Promise<void>>();
  // The batch of each project still taking members (not yet begun).
  const open = new Map<string, { key: string; members: Member[] }>();

  function exclusive<T>(project: string, task: () => Promise<T>): Promise<T> {
    const name = composeProjectName(project);
    const result = (tails.get(name) ?? Promise.resolve()).then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    tails.set(name, tail);
    void tail.then(() => tails.get(name) === tail && tails.delete(name));
    return result;
  }

  return {
    exclusive,
    up(request) {
      const project = composeProjectName(request.spec.project);
      // The command without its services, and what it runs with: equal keys make one command.
      const key = JSON.stringify([request.argv([]), request.spec.file, request.spec.env]);
      return new Promise<void>((resolve, reject) => {
        const member = { ...request, resolve, reject };
        const batch = open.get(project);
        if (request.together && batch?.key === key) {
          batch.members.push(member);
          return;
        }
        const fresh = { key, members: [member] };
        if (request.together) open.set(project, fresh);
        // The ups asked for in this turn join before it closes; then it waits for the project's turn.
        const gathered = new Promise((done) => setImmediate(done));
        void exclusive(project, async () => {
          await gathered;
          if (open.get(project) === fresh) open.delete(project);
          await runBatch(run, fresh.members);
        });
      });
    },
  };
}

/**
 * One `up` for every member's services (all of the file's when one selects none). When it fails
 * with several members, each runs its own `up` again, so each failure is its own service's and
 * the others start (an `up` of what runs already leaves it as it is).
 */
async function runBatch(run: Run, members: readonly Member[]): Promise<void> {
  const [first] = members;
  if (!first) return;
  if (members.length === 1) return settle(first, mustRun(run, first.name, first.spec, first.argv(first.spec.services), first.ctx));
  const all = members.some((member) => member.spec.services.length === 0) ? [] : [...new Set(members.flatMap((member) => member.spec.services))].sort();
  const argv = first.argv(all);
  // Ctrl+C aborts every member at once; one member's own abort ends the shared command too, and the others then run alone.
  const signal = AbortSignal.any(members.map((member) => member.ctx.signal));
  const result = await runFor(run, first.name, first.spec, argv, { ...first.ctx, signal });
  if (result.exitCode === 0) {
    for (const member of members) member.resolve();
    return;
  }
  for (const member of members) {
    await settle(
      member,
      (async () => {
        member.ctx.signal.throwIfAborted();
        await mustRun(run, member.name, member.spec, member.argv(member.spec.services), member.ctx);
      })(),
    );
  }
}

async function settle(member: Member, work: Promise<unknown>): Promise<void> {
  try {
    await work;
    member.resolve();
  } catch (error) {
    member.reject(error);
  }
}
