// Run by `npm test` before Jest: the Debian programs some tests drive. The browser tests drive
// Chromium through playwright-core (a test tool's own browser download cannot work on our
// machines); the backup tests encrypt with `age`; the lockdown test dumps live processes with
// `gcore` (gdb). Each is found, installed when we are root on Debian, or named in one line
// with what to do.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const runs = (command, ...args) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;

// Keep the Chromium candidates in step with test/browser/support/browser.ts.
const chromium = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
].filter(Boolean);

const TOOLS = [
  {
    what: 'Browser tests need Chromium',
    package: 'chromium',
    found: () => chromium.some((path) => existsSync(path)),
    otherwise: 'or set CHROMIUM_PATH to a Chromium or Chrome binary',
  },
  { what: 'Backup tests need age', package: 'age', found: () => runs('age', '--version') },
  { what: 'The lockdown test needs gcore', package: 'gdb', found: () => runs('gdb', '--version') },
];

const missing = TOOLS.filter((tool) => !tool.found());
if (missing.length > 0 && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
  const names = missing.map((tool) => tool.package);
  console.log(`Test tools: installing Debian's ${names.join(', ')} (apt-get, once)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
  if (!apt('install', '-y', '-qq', ...names)) {
    apt('update', '-qq');
    apt('install', '-y', '-qq', ...names);
  }
}

const still = TOOLS.filter((tool) => !tool.found());
for (const tool of still)
  console.error(
    `${tool.what}: run \`sudo apt-get install -y ${tool.package}\`${tool.otherwise ? `, ${tool.otherwise}` : ''}.`,
  );
if (still.length > 0) process.exit(1);
