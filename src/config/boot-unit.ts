/**
 * `stack service install`: the systemd unit that runs a stack's controller at boot, as text.
 * Pure: the caller gathers the paths, the account and PATH, and writes the file.
 */

/** Whose manager runs the controller: the user's (`systemctl --user`, at login or with lingering) or the system's (at boot). */
export type BootScope = 'user' | 'system';

/** What a boot unit (or launchd job) is made from. Every path is absolute. */
export interface BootSpec {
  project: string;
  /** stack.yaml. */
  stackFile: string;
  /** The folder holding it: the controller's working folder. */
  root: string;
  /** How this stack is run: the Node binary and the CLI's script, so a Node of nvm or volta still runs at boot. */
  program: readonly string[];
  /** PATH as the installer had it, so services find the programs they found when run by hand. */
  path: string | undefined;
  scope: BootScope;
  /** The account a system unit runs as; a user unit runs as its user. */
  account?: { user: string; group: string } | undefined;
  /** How long `systemctl stop` may take: `stack down` stopping every service in turn. */
  stopTimeoutSec: number;
}

/** The unit's name: one per stack, from its project name made fit for systemd (`stack-web-app.service`). */
export function bootUnitName(project: string): string {
  return `stack-${bootLabelOf(project)}.service`;
}

/** The project as a unit name or launchd label may carry it: letters, digits, `_`, `.`, `-`. */
export function bootLabelOf(project: string): string {
  const label = project
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, 200);
  return label === '' ? 'stack' : label;
}

/** Where systemd looks for the unit: the user's config folder, or /etc/systemd/system. */
export function systemdUnitDir(scope: BootScope, home: string, xdgConfigHome?: string): string {
  if (scope === 'system') return '/etc/systemd/system';
  return `${xdgConfigHome && xdgConfigHome.startsWith('/') ? xdgConfigHome : `${home}/.config`}/systemd/user`;
}

const STACK_FILE_LINE = '# stack file: ';

/** The unit file for `spec`. Every value is escaped per systemd.syntax(7): a folder named `my %dir $x` stays itself. */
export function renderSystemdUnit(spec: BootSpec): string {
  const stack = (...args: string[]) => execLine([...spec.program, ...args]);
  const system = spec.scope === 'system';
  return [
    `# Written by \`stack service install\`; \`stack service uninstall\` removes it.`,
    `${STACK_FILE_LINE}${spec.stackFile}`,
    `# systemctl stop runs \`stack down\` (every service in reverse order, with its own stop signal`,
    `# and timeout), then ends whatever is left in the unit's cgroup: nothing outlives the unit.`,
    `# A service declared \`stopped\` in stack.yaml stays stopped after a reboot.`,
    '[Unit]',
    `Description=${specifiers(`stack ${spec.project} (${spec.stackFile})`)}`,
    ...(system ? ['Wants=network-online.target', 'After=network-online.target'] : []),
    '',
    '[Service]',
    'Type=simple',
    ...(spec.account ? [`User=${specifiers(spec.account.user)}`, `Group=${specifiers(spec.account.group)}`] : []),
    `WorkingDirectory=${specifiers(spec.root)}`,
    ...(spec.path === undefined ? [] : [`Environment=${quoted(specifiers(`PATH=${spec.path}`))}`]),
    `ExecStart=${stack('watch', '-f', spec.stackFile)}`,
    `ExecStop=${stack('down', '--yes', '-f', spec.stackFile)}`,
    'Restart=on-failure',
    'RestartSec=5s',
    'KillMode=control-group',
    `TimeoutStopSec=${spec.stopTimeoutSec}s`,
    '',
    '[Install]',
    `WantedBy=${system ? 'multi-user.target' : 'default.target'}`,
    '',
  ].join('\n');
}

/** The stack file a unit written by stack runs, or undefined when the text is not one of ours. */
export function stackFileOfUnit(text: string): string | undefined {
  const line = text.split('\n').find((each) => each.startsWith(STACK_FILE_LINE));
  return line?.slice(STACK_FILE_LINE.length);
}

/**
 * A command line whose every word is quoted. systemd expands `$NAME` in the arguments (`$$` is a
 * `$`), never in the program's path, which is taken as written.
 */
function execLine([path = '', ...args]: readonly string[]): string {
  return [quoted(specifiers(path)), ...args.map((arg) => quoted(specifiers(arg).replaceAll('$', '$$$$')))].join(' ');
}

/** `%` starts a specifier (`%h`, `%n`) in nearly every setting; `%%` is a `%`. */
function specifiers(value: string): string {
  return value.replaceAll('%', '%%');
}

/** A double-quoted word: backslash, quote and control characters as C escapes, which systemd undoes. */
function quoted(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is escaped
  const escaped = value.replace(/[\\"\x00-\x1f\x7f]/g, (char) => {
    if (char === '\\' || char === '"') return `\\${char}`;
    return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  return `"${escaped}"`;
}

/** Why a path cannot go into a unit or a comment line, or undefined when it can. */
export function unfitForUnit(value: string): string | undefined {
  if (/[\n\r]/.test(value)) return 'it contains a line break';
  // A line that ends in a backslash goes on on the next one.
  if (value.endsWith('\\')) return 'it ends with a backslash';
  return undefined;
}

/** Why systemd would refuse `path` as a program to run (it takes no quote, backslash or control character there), or undefined. */
export function unfitForProgram(path: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- control characters are what systemd refuses
  return /["'\\\x00-\x1f\x7f]/.test(path) ? 'systemd runs no program whose path holds a quote, a backslash or a control character' : undefined;
}
