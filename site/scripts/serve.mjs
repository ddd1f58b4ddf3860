// A static file server for the built site, bound to 127.0.0.1: /a/b serves build/a/b, build/a/b.html or
// build/a/b/index.html, else build/404.html with status 404. Used by bin/ds4j docs and by check.mjs.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.json': 'application/json', '.ico': 'image/x-icon', '.txt': 'text/plain',
  '.woff2': 'font/woff2', '.woff': 'font/woff', '.xml': 'application/xml', '.csv': 'text/csv',
};

/** Resolves a URL path to a file under root, or null. */
export function resolveFile(root, urlPath) {
  const clean = decodeURIComponent(urlPath.split('?')[0].split('#')[0]);
  const base = path.resolve(root, '.' + path.posix.normalize('/' + clean));
  if (!base.startsWith(path.resolve(root))) return null;
  for (const f of [base, base + '.html', path.join(base, 'index.html')]) {
    if (fs.existsSync(f) && fs.statSync(f).isFile()) return f;
  }
  return null;
}

/** Starts the server; resolves to the http.Server once it listens. */
export function serve(root, port) {
  const server = http.createServer((req, res) => {
    const file = resolveFile(root, req.url || '/');
    const status = file ? 200 : 404;
    const body = file || path.join(root, '404.html');
    res.writeHead(status, {'Content-Type': TYPES[path.extname(body)] || 'application/octet-stream'});
    fs.createReadStream(body).on('error', () => res.end()).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, def) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : def;
  };
  const dir = arg('--dir', 'build');
  serve(path.resolve(dir), Number(arg('--port', '3000'))).then((server) => {
    console.log(`ds4j docs: serving site/${dir} on http://127.0.0.1:${server.address().port}/ (Ctrl-C stops)`);
  }).catch((e) => {
    console.error(`error: cannot serve on 127.0.0.1:${arg('--port', '3000')}: ${e.message}; try another --port`);
    process.exit(2);
  });
}
