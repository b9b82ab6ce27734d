// Run by `npm test` before Jest: the browser tests drive Debian's Chromium through
// playwright-core (a test tool's own browser download cannot work on our machines).
// Finds it, installs it when we are root on Debian, or says in one line what to do.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// Keep in step with test/browser/support/browser.ts.
const candidates = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
].filter(Boolean);

const found = () => candidates.find((path) => existsSync(path));

if (!found() && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
  console.log("Browser tests: installing Debian's chromium (apt-get, once)…");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
  if (!apt('install', '-y', '-qq', 'chromium')) {
    apt('update', '-qq');
    apt('install', '-y', '-qq', 'chromium');
  }
}

if (!found()) {
  console.error(
    'Browser tests need Chromium: run `sudo apt-get install -y chromium`, or set CHROMIUM_PATH to a Chromium or Chrome binary.',
  );
  process.exit(1);
}
