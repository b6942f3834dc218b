// The floor: a bare Node loop that spawns every command of <dir>/floor.json detached, in its own
// process group, output appended to a log file, and writes a pid file per service. No checks.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const commands = JSON.parse(readFileSync(join(dir, 'floor.json'), 'utf8'));
commands.forEach((argv, index) => {
  const log = openSync(join(dir, `floor-${index}.log`), 'a');
  const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  writeFileSync(join(dir, `floor-${index}.pid`), `${child.pid}\n`);
  child.unref();
});
