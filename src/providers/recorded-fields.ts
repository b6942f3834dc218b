/** Reading back what the state file recorded of a spec (for a stop after the service left stack.yaml). Pure. */

/** A list recorded as JSON under `key`; empty when absent or unreadable. */
export function recordedList(fields: Readonly<Record<string, string>>, key: string): string[] {
  try {
    const value: unknown = JSON.parse(fields[key] ?? '[]');
    return Array.isArray(value) ? value.map(String) : [];
  } catch {
    return [];
  }
}
