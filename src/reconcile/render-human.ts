import pc from 'picocolors';
import { renderFieldChanges } from './render-field-diff.js';
import type { Action, Blocked, Plan, PlanSummary } from '../model/plan.js';

type Colors = ReturnType<typeof pc.createColors>;

export interface HumanRenderOptions {
  /** The CLI decides: a TTY and no NO_COLOR. */
  color: boolean;
}

const OP_WIDTH = 'uninstall'.length;

/** The plan as people read it, like `terraform plan`: one line per action, then a summary. */
export function renderPlanHuman(plan: Plan, options: HumanRenderOptions): string {
  const colors = pc.createColors(options.color);
  const notes = (plan.notes ?? []).map((note) => `note: ${note}`);
  if (plan.actions.length === 0 && plan.blocked.length === 0) {
    return `${[...notes, ''].join('\n')}No changes. ${countNoun(plan.unchanged.length, 'service matches', 'services match')} stack.yaml.\n`;
  }
  const width = Math.max(...plan.actions.map((a) => a.service.length), ...plan.blocked.map((b) => b.service.length));
  const lines: string[] = [];
  const diffShown = new Set<string>();
  for (const action of plan.actions) {
    lines.push(actionLine(action, width, colors));
    if (action.changes && !diffShown.has(action.service)) {
      diffShown.add(action.service);
      lines.push(...renderFieldChanges(action.changes, colors));
    }
  }
  for (const entry of plan.blocked) lines.push(blockedLine(entry, width, colors));
  if (plan.ports) lines.push('', ...portLines(plan.ports, colors));
  if (notes.length > 0) lines.push('', ...notes);
  const summary = summaryLine(plan.summary, plan.blocked, plan.actions);
  lines.push('', plan.rolling ? summary.replace(/\.$/, ', one at a time.') : summary);
  return `${lines.join('\n')}\n`;
}

/** `ports: api http 41234, admin 9090`: one line per service with named ports. */
function portLines(ports: NonNullable<Plan['ports']>, colors: Colors): string[] {
  return Object.entries(ports).map(([service, named]) => `  ports: ${colors.bold(service)} ${Object.entries(named).map(([name, port]) => `${name} ${port}`).join(', ')}`);
}

function actionLine(action: Action, width: number, colors: Colors): string {
  const symbol = paintSymbol(action.symbol, colors);
  const pulled = action.pulledInBy ? ` ${colors.dim(`(pulled in by ${action.pulledInBy})`)}` : '';
  // A task's start runs it to completion: `run` says so (the JSON keeps op start, with task: true).
  const op = action.task ? 'run' : action.op;
  return `  ${symbol} ${colors.bold(action.service.padEnd(width))}  ${op.padEnd(OP_WIDTH)}  ${action.reason}${pulled}`;
}

function blockedLine(entry: Blocked, width: number, colors: Colors): string {
  const label = (entry.kind ?? 'unknown') === 'unknown' ? `unknown: ${entry.reason}` : entry.reason;
  return `  ${paintSymbol('!', colors)} ${colors.bold(entry.service.padEnd(width))}  ${label}`;
}

function paintSymbol(symbol: Action['symbol'] | '!', colors: Colors): string {
  if (symbol === '+') return colors.green(symbol);
  if (symbol === '~') return colors.yellow(symbol);
  if (symbol === '-') return colors.red(symbol);
  return colors.magenta(symbol);
}

/** `Plan: 1 to install, 2 to start, 1 to restart, 1 unknown.` Zero parts are left out. */
export function summaryLine(summary: PlanSummary, blocked: readonly Blocked[] = [], actions: readonly Action[] = []): string {
  const parts: string[] = [];
  // Tasks' runs are counted apart from the starts (the JSON's summary counts them as starts).
  const runs = actions.filter((action) => action.task && !action.restart).length;
  const counts = { ...summary, start: summary.start - runs };
  if (runs > 0) parts.push(`${runs} to run`);
  const verbs = ['install', 'start', 'restart', 'stop', 'uninstall'] as const;
  for (const verb of verbs) if (counts[verb] > 0) parts.push(`${counts[verb]} to ${verb}`);
  if (summary.unknown > 0) parts.push(`${summary.unknown} unknown`);
  const gaveUp = blocked.filter((entry) => entry.kind === 'gave-up').length;
  if (gaveUp > 0) parts.push(`${gaveUp} gave up`);
  const failed = blocked.filter((entry) => entry.kind === 'task-failed').length;
  if (failed > 0) parts.push(`${failed} failed ${failed === 1 ? 'task' : 'tasks'}`);
  const stuck = blocked.filter((entry) => entry.kind === 'port-conflict' || entry.kind === 'dependency').length;
  if (stuck > 0) parts.push(`${stuck} blocked`);
  return parts.length === 0 ? 'No changes.' : `Plan: ${parts.join(', ')}.`;
}

function countNoun(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
