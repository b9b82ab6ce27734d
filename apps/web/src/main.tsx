import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { CustodyProvider } from './custody/custody';
import { I18nProvider } from './i18n/i18n';
import { SessionProvider } from './session/session';
import './styles/app.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');

createRoot(root).render(
  <StrictMode>
    <I18nProvider>
      <CustodyProvider>
        <SessionProvider>
          <App />
        </SessionProvider>
      </CustodyProvider>
    </I18nProvider>
  </StrictMode>,
);
