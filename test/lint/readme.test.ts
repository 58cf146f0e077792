import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

/** The README's links and images to files of the repository (not to the web, not to anchors). */
function localTargets(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const targets = [...readme.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] as string)
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.split('#')[0] as string);
  return [...new Set(targets)].sort();
}

describe('README', () => {
  it('embeds the screenshots of the CFA list, the validation page and the admin dashboard', () => {
    expect(localTargets()).toEqual(
      expect.arrayContaining([
        'docs/screenshots/admin-dashboard.png',
        'docs/screenshots/cfa-pro-formas.png',
        'docs/screenshots/validation-page.png',
      ]),
    );
  });

  it('links only to files that are committed (an ignored file would be missing from every clone)', () => {
    const targets = localTargets();
    const tracked = execFileSync('git', ['ls-files', '--', ...targets], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .sort();
    expect(tracked).toEqual(targets);
  });
});
