// Opens the built site in headless Chromium and checks it: crawls every internal page reachable from "/", checks that
// every internal link resolves (the page exists and its #anchor is an element id there), that every image loads
// (naturalWidth > 0), and writes screenshots of a few pages to build/screenshots/. Fails when nothing was checked.
// usage: node scripts/check.mjs [--chromium /usr/bin/chromium]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {chromium} from 'playwright-core';
import {serve} from './serve.mjs';

const SITE = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const BUILD = path.join(SITE, 'build');
const SHOTS = ['/', '/getting-started', '/config-reference', '/zero-stages', '/benchmarks'];
const exe = process.argv.includes('--chromium') ? process.argv[process.argv.indexOf('--chromium') + 1]
  : '/usr/bin/chromium';

const server = await serve(BUILD, 0);
const origin = `http://127.0.0.1:${server.address().port}`;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ds4j-site-chromium-'));
// a fresh profile (Playwright passes it as --user-data-dir)
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: exe,
  headless: true,
  viewport: {width: 1280, height: 900},
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const failures = [];
const ids = new Map();       // page path -> Set of element ids
const links = new Map();     // "path#frag" -> first page linking to it
let images = 0;
try {
  const page = await browser.newPage();
  const queue = ['/'];
  const seen = new Set(queue);
  while (queue.length) {
    const at = queue.shift();
    const resp = await page.goto(origin + at, {waitUntil: 'load'});
    if (!resp || resp.status() !== 200) {
      failures.push(`${at}: HTTP ${resp ? resp.status() : 'no response'}`);
      continue;
    }
    // Docusaurus marks Markdown images loading="lazy": load every one before judging it
    await page.evaluate(() => Promise.race([
      Promise.all([...document.images].map((i) => {
        i.loading = 'eager';
        const loaded = i.complete ? Promise.resolve() : new Promise((done) => {
          i.addEventListener('load', done);
          i.addEventListener('error', done);
        });
        // decoded too, so that the screenshots show the pictures
        return loaded.then(() => i.decode()).catch(() => null);
      })),
      new Promise((done) => setTimeout(done, 15000)),
    ]));
    const found = await page.evaluate(() => ({
      ids: [...document.querySelectorAll('[id]')].map((e) => e.id),
      hrefs: [...document.querySelectorAll('a[href]')].map((a) => a.href),
      imgs: [...document.querySelectorAll('img')].map((i) => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0})),
    }));
    ids.set(at, new Set(found.ids));
    for (const img of found.imgs) {
      images++;
      if (!img.ok) failures.push(`${at}: image does not load: ${img.src}`);
    }
    for (const href of found.hrefs) {
      const u = new URL(href);
      if (u.origin !== origin) continue;
      const key = u.pathname + (u.hash ? u.hash : '');
      if (!links.has(key)) links.set(key, at);
      const isPage = !path.posix.extname(u.pathname) || u.pathname.endsWith('.html');
      if (isPage && !seen.has(u.pathname)) {
        seen.add(u.pathname);
        queue.push(u.pathname);
      }
    }
    if (SHOTS.includes(at)) {
      fs.mkdirSync(path.join(BUILD, 'screenshots'), {recursive: true});
      const name = at === '/' ? 'index' : at.replace(/^\/|\/$/g, '').replace(/\//g, '_');
      // the ZeRO page whole, pictures included; the others as a reader first sees them
      await page.screenshot({path: path.join(BUILD, 'screenshots', `${name}.png`), fullPage: at === '/zero-stages'});
    }
  }
  for (const [key, from] of links) {
    const [p, frag] = key.split('#');
    const target = ids.get(p) || ids.get(p.replace(/\/$/, '')) || ids.get(p + '/');
    if (!target) {
      const r = await fetch(origin + p);
      if (r.status !== 200) failures.push(`${from}: link to ${key} does not resolve (HTTP ${r.status})`);
      continue;
    }
    if (frag && !target.has(decodeURIComponent(frag))) failures.push(`${from}: link to ${key}: no element #${frag} there`);
  }
  const shots = fs.existsSync(path.join(BUILD, 'screenshots')) ? fs.readdirSync(path.join(BUILD, 'screenshots')) : [];
  console.log(`site check: ${ids.size} pages, ${links.size} internal links, ${images} images checked in Chromium; ` +
    `${shots.length} screenshots in site/build/screenshots/ (${shots.join(', ')})`);
  if (ids.size < 3 || links.size === 0 || images === 0 || shots.length < 3) {
    failures.push(`too little checked (pages ${ids.size} < 3, links ${links.size}, images ${images}, ` +
      `screenshots ${shots.length} < 3): the crawl did not reach the site`);
  }
} finally {
  await browser.close();
  server.close();
  fs.rmSync(profile, {recursive: true, force: true});
}
if (failures.length) {
  console.error(`site check FAILED (${failures.length}):\n  ` + failures.join('\n  '));
  process.exit(1);
}
console.log('site check passed');
