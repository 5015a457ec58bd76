import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, closeTestCores, ok, openTestCore } from '../test-support';

/** Local shells (node-pty): only where allowed, same events and lifetime as device terminals. */
afterAll(() => {
  closeTestCores();
  cleanupTempDirs();
});

async function until(what: string, f: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('local terminals', () => {
  it('are refused unless the host allows them (serve without --allow-local-shell), and app.info says so', async () => {
    const core = openTestCore({ via: 'serve' });
    expect((await ok(core, 'app.info', {})).localShell).toBe(false);
    const r = await core.call('terminals.open', { local: true, cols: 80, rows: 24 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('UNAUTHORIZED');
      expect(r.error.message).toContain('--allow-local-shell');
    }
    const both = await core.call('terminals.open', { local: true, device: 'x', cols: 80, rows: 24 });
    expect(both.ok).toBe(false);
  });

  it('run the login shell in a PTY: output as events, resize, and closing ends the shell and what it runs', async () => {
    const core = openTestCore({ localShell: true });
    expect((await ok(core, 'app.info', {})).localShell).toBe(true);
    let out = '';
    const exits: string[] = [];
    core.bus.subscribe((name, p) => {
      if (name === 'terminal.output') out += (p as { data: string }).data;
      if (name === 'terminal.exit') exits.push((p as { id: string }).id);
    });
    const closers: (() => void)[] = [];
    const ctx = { actor: core.actor, client: { id: 'c', onClose: (l: () => void) => void closers.push(l) } };
    const call = async (method: 'terminals.input' | 'terminals.resize', input: Record<string, unknown>) => {
      const res = await core.call(method, input, ctx);
      if (!res.ok) throw new Error(res.error.message);
    };
    const r = await core.call('terminals.open', { local: true, cols: 100, rows: 30 }, ctx);
    if (!r.ok) throw new Error(r.error.message);
    const t = r.value as { id: string; deviceId: string | null; device: string };
    expect(t.deviceId).toBeNull();
    expect(t.device).toMatch(/^local: /);
    await call('terminals.input', { id: t.id, data: 'echo "pid=$$ sum=$((6*7))"; stty size; sleep 300 &\r' });
    await until('the shell to answer', () => /sum=42/.test(out) && /30 100/.test(out));
    await call('terminals.resize', { id: t.id, cols: 120, rows: 40 });
    await call('terminals.input', { id: t.id, data: 'stty size; echo "job=$!"\r' });
    await until('the new size', () => /40 120/.test(out) && /job=\d+/.test(out));
    const shell = Number(/pid=(\d+)/.exec(out)![1]);
    const job = Number(/job=(\d+)/.exec(out)![1]);
    expect(alive(shell)).toBe(true);
    // The client goes away: the shell gets a hang-up, and its background job with it.
    for (const c of closers) c();
    await until('the exit event', () => exits.includes(t.id));
    await until('the shell to end', () => !alive(shell));
    await until('its job to end', () => !alive(job));
    const log = await ok(core, 'activity.list', { limit: 5 });
    expect(log.items.map((e) => e.action)).toEqual(expect.arrayContaining(['terminal.opened', 'terminal.closed']));
  });
});
