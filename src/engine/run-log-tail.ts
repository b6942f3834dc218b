import type { DesiredService } from '../model/desired.js';
import type { LogLine } from '../model/log-line.js';
import type { OperationContext, StartedService } from '../model/provider.js';
import type { AppliedService } from '../model/observed.js';
import type { ProviderRegistry } from '../providers/registry.js';

/** What reading a run's log needs: the providers, the operations' context and the service's record. */
export interface LogTailSource {
  providers: ProviderRegistry;
  ctx: Omit<OperationContext, 'signal'>;
  state: { get(name: string): AppliedService | undefined };
}

/** The end of what this run wrote to its log (where it began), never an earlier run's. */
export async function runLogTail(env: LogTailSource, name: string, service: DesiredService | undefined, started: StartedService, count = 5): Promise<string[]> {
  const record = env.state.get(name);
  const which = service?.provider ?? record?.provider;
  if (which === undefined) return [];
  const lines: string[] = [];
  try {
    const provider = await env.providers.get(which);
    const request = { lines: count, run: started, follow: false, signal: new AbortController().signal, match: (line: LogLine) => line.stream !== 'stack', write: (more: readonly LogLine[]) => lines.push(...more.map((line) => line.text)) };
    await provider.logs(name, service, record, request, env.ctx);
  } catch {
    // No tail to quote: the failure is said without it.
  }
  return lines;
}
