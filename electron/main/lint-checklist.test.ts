import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** The Electron security checklist's lint rules (eslint.config.mjs) catch what they are for. */
const eslint = new ESLint({ cwd: join(__dirname, '..', '..') });

async function messages(code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: join(__dirname, 'checklist-sample.ts') });
  return r!.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
}

describe('lint rules for the Electron security checklist', () => {
  it('refuse weakened web preferences and Chromium switches in Electron code', async () => {
    const bad = await messages(`
export const o = { webPreferences: { webSecurity: false, contextIsolation: false, sandbox: false, nodeIntegration: true, allowRunningInsecureContent: true, webviewTag: true, enableBlinkFeatures: 'X' } };
export const s = ['disable-web-security', 'ignore-certificate-errors'];
`);
    expect(bad).toHaveLength(9);
    expect(bad.join('\n')).toMatch(/Never turn webSecurity off/);
    expect(bad.join('\n')).toMatch(/context-isolated and sandboxed/);
    expect(bad.join('\n')).toMatch(/Chromium switches that weaken security/);
  });

  it('accept the hardened settings the app uses', async () => {
    expect(await messages(`export const o = { webPreferences: { webSecurity: true, contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false } };`)).toEqual([]);
  });
});
