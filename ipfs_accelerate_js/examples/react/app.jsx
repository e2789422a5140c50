// app.jsx — the seed's EmbeddingComponent, as written in SPEC.md (with a
// model that is here in place of bert-base-uncased), rendered with React.
// Bundled by esbuild (test/browser.test.mjs; or
//   npx esbuild examples/react/app.jsx --bundle --format=esm --external:node:* --outfile=examples/react/app.js)
import React, { useState } from 'react';
import { createRoot } from 'react-dom/client';
import { useModel } from 'ipfs_accelerate_js/react';

function EmbeddingComponent() {
  // React hook for easy model integration
  const { model, status, error } = useModel({
    modelId: "all-MiniLM-L6-v2",
    autoHardwareSelection: true,
    fallbackOrder: ["webgpu", "webnn", "wasm"]
  });

  const [text, setText] = useState('');
  const [embedding, setEmbedding] = useState(null);

  async function generateEmbedding() {
    if (model && text) {
      const result = await model.getEmbeddings(text);
      setEmbedding(result);
    }
  }

  return (
    <div>
      <input value={text} onChange={e => setText(e.target.value)} />
      <button onClick={generateEmbedding} disabled={!model || !text}>
        Generate Embedding
      </button>
      {status === 'loading' && <div>Loading model...</div>}
      {error && <div>Error: {error.message}</div>}
      {embedding && <div>Embedding generated: {embedding.length} dimensions</div>}
    </div>
  );
}

createRoot(document.getElementById('root')).render(<EmbeddingComponent />);
