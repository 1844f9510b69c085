// A static file server for dist/ on loopback, for the end-to-end tests and benchmarks.
// Files are sent as they are (no Content-Encoding), so the app sees real byte counts.
// Like `make serve`, it sends the headers that make the page cross-origin isolated (so it
// may use wasm threads), unless `{ isolated: false }`: the very headers `make serve` sends,
// read from Trunk.toml's [serve] table.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.gz': 'application/gzip',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The `headers = { "Name" = "value", … }` line of Trunk.toml's [serve] table. */
export function trunkHeaders() {
  const toml = readFileSync(new URL('../Trunk.toml', import.meta.url), 'utf8');
  const serveTable = toml.split(/^\[/m).find((t) => t.startsWith('serve]')) ?? '';
  const line = serveTable.match(/^headers\s*=\s*\{(.*)\}\s*$/m);
  if (!line) throw new Error('Trunk.toml: no headers in [serve]');
  return Object.fromEntries([...line[1].matchAll(/"([^"]+)"\s*=\s*"([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

const ISOLATION = trunkHeaders();

/**
 * Serves `root` on 127.0.0.1 at `port` (0 = any free port); resolves to { server, url }.
 * `pages` adds documents that are not files: { '/path': html }.
 */
export function serve(root, port = 0, { isolated = true, pages = {} } = {}) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = normalize(join(base, path));
    if (!file.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    if (pages[path] !== undefined) {
      res.writeHead(200, { 'Content-Type': TYPES['.html'], ...(isolated ? ISOLATION : {}) });
      res.end(pages[path]);
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Length': body.length,
        'Cache-Control': 'no-cache',
        ...(isolated ? ISOLATION : {}),
      });
      res.end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  return new Promise((ok) =>
    server.listen(port, '127.0.0.1', () =>
      ok({ server, url: `http://127.0.0.1:${server.address().port}/` }),
    ),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = process.argv[2] ?? 'dist';
  const port = Number(process.argv[3] ?? 8080);
  serve(root, port).then(({ url }) => console.log(`serving ${root} at ${url}`));
}
