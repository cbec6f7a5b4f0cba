import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { AgentClient } from './worker/client';
import { isBackendPreference } from './worker/protocol';

const client = new AgentClient();
const pref = new URLSearchParams(location.search).get('backend');
client.init(isBackendPreference(pref) ? pref : 'auto');

function App() {
  const [result, setResult] = useState('');
  return (
    <main>
      <h1>Squint</h1>
      <button type="button" onClick={() => client.selfTest().then((r) => setResult(`${r.backend} ${r.finite}`), (e) => setResult(String(e)))}>Self-test</button>
      <output data-testid="self-test">{result}</output>
    </main>
  );
}

createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);
