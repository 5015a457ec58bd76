/** Renderer entry: apply the theme, start routing, mount the app. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { startAppCommands } from './lib/app-commands';
import { startNotices } from './lib/notify';
import { startUi, useUi } from './stores/ui';
import './styles/app.css';

startUi();
startNotices();
startAppCommands();

window.addEventListener('unhandledrejection', (e) => {
  useUi.getState().reportError(e.reason, 'A background task');
});

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
