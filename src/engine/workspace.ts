import type { Desired } from '../model/desired.js';
import type { OperationContext } from '../model/provider.js';
import { createProviderRegistry, type ProviderRegistry } from '../providers/registry.js';
import { redactorOf } from '../config/secrets.js';
import { statePaths, type StatePaths } from '../state/paths.js';
import { sealSensitiveFields } from '../state/digest-key.js';

/** Everything a reconcile needs about one stack on this machine. */
export interface Workspace {
  desired: Desired;
  paths: StatePaths;
  providers: ProviderRegistry;
  ctx: Omit<OperationContext, 'signal'>;
}

/** The workspace of a loaded stack: its state folder beside stack.yaml, fresh providers. */
export function workspaceOf(desired: Desired, verbose?: (line: string) => void): Workspace {
  const paths = statePaths(desired.root);
  return {
    desired,
    paths,
    providers: createProviderRegistry(),
    ctx: { root: desired.root, stateDir: paths.dir, verbose: redactedVerbose(desired, verbose), redact: redactorOf(desired) },
  };
}

// Every external command is printed through here: an argv may hold an interpolated secret.
/** `--verbose` lines with this stack's secret values replaced. */
export function redactedVerbose(desired: Desired, verbose: ((line: string) => void) | undefined): ((line: string) => void) | undefined {
  if (!verbose) return undefined;
  const redact = redactorOf(desired);
  return (line) => verbose(redact(line));
}

/**
 * Lets each provider fingerprint the files its enabled services read (compose files, plugin
 * folders), and digests sensitive fields with the state's key: both before any spec is computed.
 */
export async function digestServiceFiles(workspace: Workspace, signal = new AbortController().signal): Promise<void> {
  await sealSensitiveFields(workspace.desired, workspace.paths.dir);
  await Promise.all(
    workspace.desired.services
      .filter((service) => service.enabled)
      .map(async (service) => {
        const provider = await workspace.providers.get(service.provider).catch(() => undefined);
        // A provider that reads no files besides stack.yaml has no digest to give.
        if (!provider?.digestFiles) return;
        const digested = await provider.digestFiles(service, { ...workspace.ctx, signal });
        service.filesDigest = digested?.digest;
        service.files = digested?.files;
      }),
  );
}
