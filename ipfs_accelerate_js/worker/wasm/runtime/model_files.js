/*
 * model_files.js — puts a model's files where the core's readers find
 * them: the module's file system, under a mount point per model.
 *
 *   Node:    the directory (or a .gguf file's directory) is mounted with
 *            NODEFS: the core reads the files in place, nothing is copied
 *            into JavaScript memory.
 *   Browser: the files are fetched (a directory URL: config.json, the
 *            weights — model.safetensors, else model.gguf — the tokenizer
 *            and the sentence-transformers files; or one .gguf URL),
 *            with progress, kept in Cache Storage so that a second visit
 *            loads without the network, and written into MEMFS (the
 *            fetched buffer is handed over, not copied). release() drops
 *            the weights file once the core has read it.
 *
 * A classic script and a CommonJS module at once (see core_worker.js).
 */
'use strict';
(function (root) {
  var CACHE_NAME = 'ipfs_accelerate_js-models-v1';
  /* Files the core may read beside the weights; absent ones are skipped. */
  var OPTIONAL = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json',
                  'sentence_bert_config.json', 'config_sentence_transformers.json'];

  function stageNode(core, source, mount) {
    var fs = require('fs'), path = require('path');
    var st;
    try {
      st = fs.statSync(source);
    } catch (e) {
      return Promise.reject(new Error('model not found: ' + source + ' (' + e.code + ')'));
    }
    var dir = st.isDirectory() ? source : path.dirname(source);
    core.FS.mkdirTree(mount);
    core.FS.mount(core.NODEFS, { root: path.resolve(dir) }, mount);
    return Promise.resolve({
      dir: st.isDirectory() ? mount : mount + '/' + path.basename(source),
      bytesFetched: 0, bytesFromCache: 0,
      release: function () {}  /* stays mounted: chat templates are read on use */
    });
  }

  /* Reads a response body into one buffer, reporting progress; a body
   * shorter than its Content-Length is an error (a cut download). */
  function readBody(resp, url, file, cached, onProgress) {
    var total = Number(resp.headers.get('content-length')) || 0;
    if (!resp.body || !resp.body.getReader) {
      return resp.arrayBuffer().then(function (b) { return new Uint8Array(b); });
    }
    var reader = resp.body.getReader();
    var chunks = [], loaded = 0, lastReport = 0;
    function pump() {
      return reader.read().then(function (r) {
        if (r.done) {
          if (total && loaded !== total)
            throw new Error(url + ': download cut short (' + loaded + ' of ' + total + ' bytes)');
          onProgress({ file: file, loaded: loaded, total: total || loaded, cached: cached });
          if (chunks.length === 1) return chunks[0];
          var out = new Uint8Array(loaded), off = 0;
          chunks.forEach(function (c) { out.set(c, off); off += c.length; });
          return out;
        }
        chunks.push(r.value);
        loaded += r.value.length;
        if (loaded - lastReport >= (1 << 20)) {
          lastReport = loaded;
          onProgress({ file: file, loaded: loaded, total: total, cached: cached });
        }
        return pump();
      });
    }
    return pump();
  }

  /* → Uint8Array, or null when the server answers 404 (an absent
   * optional file). */
  function fetchFile(url, file, opts, stats) {
    var cacheP = opts.cache && typeof caches !== 'undefined' ? caches.open(CACHE_NAME).catch(function () { return null; })
                                                              : Promise.resolve(null);
    return cacheP.then(function (cache) {
      var hitP = cache ? cache.match(url) : Promise.resolve(undefined);
      return hitP.then(function (hit) {
        if (hit) {
          return readBody(hit, url, file, true, opts.onProgress).then(function (b) {
            stats.bytesFromCache += b.length;
            return b;
          });
        }
        return fetch(url).then(function (resp) {
          if (resp.status === 404) return null;
          if (!resp.ok) throw new Error(url + ': HTTP ' + resp.status + ' ' + resp.statusText);
          return readBody(resp, url, file, false, opts.onProgress).then(function (b) {
            stats.bytesFetched += b.length;
            if (!cache) return b;
            var headers = { 'content-length': String(b.length) };
            return cache.put(url, new Response(b, { headers: headers })).then(function () { return b; },
                                                                               function () { return b; });
          });
        });
      });
    });
  }

  function stageBrowser(core, source, mount, opts) {
    var stats = { bytesFetched: 0, bytesFromCache: 0 };
    var written = [];
    function put(name, bytes) {
      var p = mount + '/' + name;
      core.FS.mkdirTree(p.slice(0, p.lastIndexOf('/')));
      core.FS.writeFile(p, bytes, { canOwn: true });
      written.push(p);
    }
    var url = new URL(source, root.location ? root.location.href : undefined).href;
    core.FS.mkdirTree(mount);
    var weights = null;
    var staged;
    if (/\.gguf(\?|#|$)/.test(url)) {
      staged = fetchFile(url, 'model.gguf', opts, stats).then(function (b) {
        if (!b) throw new Error('model not found: ' + url + ' (HTTP 404)');
        put('model.gguf', b);
        weights = mount + '/model.gguf';
      });
    } else {
      if (!url.endsWith('/')) url += '/';
      staged = fetchFile(url + 'config.json', 'config.json', opts, stats).then(function (cfg) {
        if (!cfg) throw new Error('no model at ' + url + ': config.json is missing (HTTP 404)');
        put('config.json', cfg);
        return fetchFile(url + 'model.safetensors', 'model.safetensors', opts, stats);
      }).then(function (st) {
        if (st) return ['model.safetensors', st];
        return fetchFile(url + 'model.gguf', 'model.gguf', opts, stats).then(function (g) {
          if (!g) throw new Error('no weights at ' + url + ': neither model.safetensors nor model.gguf (HTTP 404)');
          return ['model.gguf', g];
        });
      }).then(function (w) {
        put(w[0], w[1]);
        weights = mount + '/' + w[0];
        return Promise.all(OPTIONAL.concat(['modules.json']).map(function (f) {
          return fetchFile(url + f, f, opts, stats).then(function (b) { if (b) put(f, b); return [f, b]; });
        }));
      }).then(function (got) {
        /* sentence-transformers modules (pooling, normalise): their configs */
        var mods = got.filter(function (g) { return g[0] === 'modules.json' && g[1]; })[0];
        if (!mods) return;
        var list;
        try {
          list = JSON.parse(new TextDecoder().decode(mods[1]));
        } catch (e) {
          throw new Error(url + 'modules.json: not JSON (' + e.message + ')');
        }
        return Promise.all((Array.isArray(list) ? list : []).filter(function (m) {
          return m && typeof m.path === 'string' && m.path && m.path.indexOf('..') < 0;
        }).map(function (m) {
          var f = m.path.replace(/\/+$/, '') + '/config.json';
          return fetchFile(url + f, f, opts, stats).then(function (b) { if (b) put(f, b); });
        }));
      });
    }
    return staged.then(function () {
      return {
        dir: mount, bytesFetched: stats.bytesFetched, bytesFromCache: stats.bytesFromCache,
        release: function () { if (weights) { try { core.FS.unlink(weights); } catch (e) { /* gone */ } } }
      };
    }, function (e) {
      written.forEach(function (p) { try { core.FS.unlink(p); } catch (x) { /* gone */ } });
      throw e;
    });
  }

  var api = {
    stage: function (core, source, mount, opts) {
      if (typeof source !== 'string' || !source) return Promise.reject(new TypeError('model source must be a non-empty string'));
      return opts.isNode ? stageNode(core, source, mount) : stageBrowser(core, source, mount, opts);
    },
    CACHE_NAME: CACHE_NAME
  };
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.IaModelFiles = api;
})(typeof self !== 'undefined' ? self : this);
