// Run by `npm test` before Jest: backups are encrypted by Debian's `age` binary, and the
// restore drill (test/custody) runs it. Finds it, installs it when we are root on Debian, or
// says in one line what to do.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const found = () => spawnSync('age', ['--version'], { stdio: 'ignore' }).status === 0;

if (!found() && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
  console.log("Backup tests: installing Debian's age (apt-get, once)…");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
  if (!apt('install', '-y', '-qq', 'age')) {
    apt('update', '-qq');
    apt('install', '-y', '-qq', 'age');
  }
}

if (!found()) {
  console.error('Backup tests need age: run `sudo apt-get install -y age`.');
  process.exit(1);
}
