/**
 * The desktop menu's commands as the window carries them out. Electron cannot run here, so the
 * `app.command` event the menu sends (electron/main/desktop.ts, unit-tested there) is put on the
 * page's real WebSocket to `bootfleet serve`, as the core's event bus would deliver it.
 */
import type { WebSocketRoute } from '@playwright/test';
import { expect, openApp, test } from './fixtures';

test('Refresh, New Device and Flash a Drive from the menu reach the page', async ({ page, serve }) => {
  let ws: WebSocketRoute | null = null;
  await page.routeWebSocket(/\/ws/, (route) => {
    route.connectToServer();
    ws = route;
  });
  await serve.cli(['devices', 'add', 'plc-1', '--host', '127.0.0.1', '--port', '9']);
  await openApp(page, serve.url);
  await expect.poll(() => ws !== null).toBe(true);
  const command = (c: string) => ws!.send(JSON.stringify({ t: 'event', name: 'app.command', payload: { command: c } }));

  command('flash');
  await expect(page).toHaveURL(/#\/flash$/);
  await expect(page.getByRole('heading', { name: 'Flash', level: 1 })).toBeVisible();

  command('new-device');
  await expect(page.getByTestId('device-form')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('device-form')).toBeHidden();

  // Refresh on the fleet: a status refresh of every device starts (and fails to reach the closed port).
  await page.goto(serve.url.replace(/\?.*$/, '') + '#/fleet');
  await expect(page.locator('body[data-ready="true"]')).toBeAttached();
  command('refresh');
  await expect.poll(async () => (JSON.parse((await serve.cli(['activity', '--json', '--limit', '20'])).stdout) as { items: { action: string }[] }).items.some((a) => a.action === 'fleet.refreshed')).toBe(true);
});
