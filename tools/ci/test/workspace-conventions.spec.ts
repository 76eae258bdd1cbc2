import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const workspaceRoot = join(__dirname, '..', '..', '..');

function nx(args: string[]): string {
  return execFileSync(join(workspaceRoot, 'node_modules/.bin/nx'), args, {
    cwd: workspaceRoot,
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
    encoding: 'utf8',
  });
}

interface ProjectConfig {
  name: string;
  root: string;
  tags?: string[];
  targets?: Record<string, unknown>;
}

describe('workspace conventions', () => {
  const names: string[] = JSON.parse(nx(['show', 'projects', '--json']));
  const projects: ProjectConfig[] = names.map((name) => JSON.parse(nx(['show', 'project', name, '--json'])));

  it('lists the projects, testkit among them', () => {
    expect(names).toEqual(expect.arrayContaining(['testkit', 'ci']));
  });

  it('gives every project one type:* and one scope:* tag', () => {
    for (const project of projects) {
      const tags = project.tags ?? [];
      expect({ project: project.name, types: tags.filter((t) => t.startsWith('type:')).length }).toEqual({
        project: project.name,
        types: 1,
      });
      expect({ project: project.name, scopes: tags.filter((t) => t.startsWith('scope:')).length }).toEqual({
        project: project.name,
        scopes: 1,
      });
    }
  });

  it('gives every project test, lint and typecheck targets, and every lib and app a build', () => {
    for (const project of projects) {
      const targets = Object.keys(project.targets ?? {});
      expect({ project: project.name, targets }).toEqual({
        project: project.name,
        targets: expect.arrayContaining(['test', 'lint', 'typecheck']),
      });
      if (project.root.startsWith('libs/') || project.root.startsWith('apps/')) {
        expect({ project: project.name, targets }).toEqual({
          project: project.name,
          targets: expect.arrayContaining(['build']),
        });
      }
    }
  });
});
