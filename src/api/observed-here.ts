import { statSync } from 'node:fs';
import { digestServiceFiles, findStack, groupedIn, limitMechanismName, openWorkspace, portOwnersOf, UsageSampler, viewServices, type PortOwner, type Workspace } from '../api.js';
import { statusRows, type ServiceUsage } from '../reconcile/status-rows.js';
import { planActions } from '../reconcile/plan.js';
import { pendingOf, type Snapshot } from './live-sources.js';

/**
 * `stack top` and `stack dashboard` without a controller: the services observed here once a second, as `stack status`
 * observes them, at a cost an idle view can afford (issue 26: ≤ 2 % of a core over 50 services).
 * stack.yaml is loaded again only when it changed; CPU, memory and port owners (each a pass over
 * /proc) are read every USAGE_LOOKS looks, and CPU is the use between two such readings, as a
 * controller measures it.
 */
/** Looks between two readings of CPU, memory and port owners: each reads every process's stat, ~300 files on a quiet machine. */
const USAGE_LOOKS = 3;
/** Looks between two loads of an unchanged stack.yaml. */
const RELOAD_LOOKS = 10;

export class ObservedHere {
  private workspace?: { at: string; workspace: Workspace };
  // One sampler for the view's life (CPU needs two readings of a run); the providers asked are the last look's.
  private readonly sampler = new UsageSampler((provider) => (this.current ? groupedIn(this.current.providers)(provider) : false));
  private looks = 0;
  private usage = new Map<string, ServiceUsage>();
  private owners = new Map<string, PortOwner[]>();

  constructor(private readonly options: { file?: string }) {}

  /** The workspace of the last look (following a log reads through its providers). */
  get current(): Workspace | undefined {
    return this.workspace?.workspace;
  }

  private looking?: Promise<Snapshot>;

  /** One look at a time: a look asked for while one is under way gets that one's answer (two would cross, and two usage samples milliseconds apart read a bogus CPU). */
  look(): Promise<Snapshot> {
    this.looking ??= this.lookNow().finally(() => (this.looking = undefined));
    return this.looking;
  }

  private async lookNow(): Promise<Snapshot> {
    const workspace = await this.open();
    const { applied, observed } = await viewServices(workspace);
    if (this.looks % USAGE_LOOKS === 0) {
      // What `files:` declares is part of a service's spec: read again for the plan's count.
      await digestServiceFiles(workspace);
      this.usage = this.sampler.sample(applied, observed, workspace.ctx.redact);
      this.owners = await portOwnersOf(workspace, { applied, observed });
    }
    this.looks += 1;
    return {
      project: workspace.desired.project,
      rows: statusRows(workspace.desired, observed, applied, { portOwners: this.owners, usage: this.usage, now: Date.now(), mechanism: limitMechanismName() }),
      source: 'no controller: observed every second',
      dependsOn: new Map(workspace.desired.services.map((service) => [service.name, service.dependsOn])),
      ...pendingOf(planActions(workspace.desired, observed, applied).actions),
    };
  }

  /** The workspace as stack.yaml is now (loaded again only when it changed): whose secrets a payload must hide. */
  workspaceNow(): Promise<Workspace> {
    return this.open();
  }

  /**
   * The workspace, loaded again when stack.yaml changed (its size, time or inode), and every
   * RELOAD_LOOKS looks: an env file it names may have changed a secret the log must hide.
   */
  private async open(): Promise<Workspace> {
    const file = findStack({ file: this.options.file });
    const stat = statSync(file, { throwIfNoEntry: false });
    const at = stat ? `${stat.ino}:${stat.size}:${stat.mtimeMs}:${Math.floor(this.looks / RELOAD_LOOKS)}` : '';
    if (this.workspace?.at === at) return this.workspace.workspace;
    const workspace = await openWorkspace({ file });
    this.workspace = { at, workspace };
    return workspace;
  }
}
