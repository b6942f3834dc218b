import { readOwnText } from '../os/safe-file.js';

/**
 * Whether `.stack/state.json` records anything at all (it exists and can be read), and the
 * project it names if it names one: what `down` needs when stack.yaml does not load. Unlike
 * `readState`, it needs no project to start from and never sets a corrupt file aside.
 */
export async function readRecordedProject(stateFile: string): Promise<{ project?: string } | undefined> {
  const text = await readOwnText(stateFile, 64 * 1024 * 1024).catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const project = (JSON.parse(text) as { project?: unknown }).project;
    return typeof project === 'string' ? { project } : {};
  } catch {
    return {};
  }
}
