/**
 * `stack service install` on macOS: the launchd job (a LaunchAgent) that runs a stack's
 * controller at login, as text. Pure, as boot-unit.ts.
 */

import { bootLabelOf, type BootSpec } from './boot-unit.js';

/** The job's label, also its file's name: `dev.stack.web-app`. */
export function launchdLabel(project: string): string {
  return `dev.stack.${bootLabelOf(project)}`;
}

/** Where the user's agents live. */
export function launchAgentsDir(home: string): string {
  return `${home}/Library/LaunchAgents`;
}

/** The controller's own output, which launchd writes to a file (systemd keeps it in the journal). */
export function launchdLogFile(home: string, project: string): string {
  return `${home}/Library/Logs/stack-${bootLabelOf(project)}.log`;
}

/**
 * The property list for `spec`. launchd has no stop command: unloading the job ends the
 * controller alone, and the services (each in its own session) keep running, as after Ctrl+C
 * on `stack watch`; `stack down` stops them.
 */
export function renderLaunchdPlist(spec: BootSpec, logFile: string): string {
  const string = (value: string) => `<string>${escapeXml(value)}</string>`;
  const args = [...spec.program, 'watch', '-f', spec.stackFile].map((arg) => `    ${string(arg)}`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<!-- Written by `stack service install`; `stack service uninstall` removes it. -->',
    '<plist version="1.0">',
    '<dict>',
    '  <key>Label</key>',
    `  ${string(launchdLabel(spec.project))}`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...args,
    '  </array>',
    '  <key>WorkingDirectory</key>',
    `  ${string(spec.root)}`,
    ...(spec.path === undefined ? [] : ['  <key>EnvironmentVariables</key>', '  <dict>', '    <key>PATH</key>', `    ${string(spec.path)}`, '  </dict>']),
    '  <key>RunAtLoad</key>',
    '  <true/>',
    // Started again when it fails, as systemd's Restart=on-failure; a clean exit stays down.
    '  <key>KeepAlive</key>',
    '  <dict>',
    '    <key>SuccessfulExit</key>',
    '    <false/>',
    '  </dict>',
    '  <key>ExitTimeOut</key>',
    `  <integer>${spec.stopTimeoutSec}</integer>`,
    '  <key>StandardOutPath</key>',
    `  ${string(logFile)}`,
    '  <key>StandardErrorPath</key>',
    `  ${string(logFile)}`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}

/** The stack file a job written by stack runs (the word after `-f`), or undefined when the text is not one of ours. */
export function stackFileOfPlist(text: string): string | undefined {
  const found = /<string>-f<\/string>\s*<string>([^<]*)<\/string>/.exec(text);
  return found?.[1] === undefined ? undefined : unescapeXml(found[1]);
}

/** Text as XML character data; control characters XML 1.0 cannot hold become U+FFFD. */
function escapeXml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    // eslint-disable-next-line no-control-regex -- control characters are what is replaced
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '\ufffd');
}

function unescapeXml(value: string): string {
  return value.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&amp;', '&');
}
