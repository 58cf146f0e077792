import fs from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler, type Router } from 'express';

/**
 * The web pages (web/, built by Vite into web/dist): the same service serves them beside the API. Hashed assets are
 * cached for a year; every other GET that is not the API's answers the single page (index.html, never cached), whose
 * router shows the page of the address. Without a build, the pages answer 503 with the command that builds them.
 */

/** Where `npm run build:web` writes the pages. */
export const WEB_ROOT = path.join(__dirname, '..', 'web', 'dist');

const NOT_PAGES = /^\/(api|health|ready)(\/|$)/;

export function webPages(root: string = WEB_ROOT): { assets: Router; page: RequestHandler } {
  const index = path.join(root, 'index.html');
  const assets = express.Router();
  assets.use(
    '/assets',
    express.static(path.join(root, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: true }),
  );
  assets.use(express.static(root, { index: false, maxAge: '1h' }));
  const page: RequestHandler = (req, res, next) => {
    if (
      (req.method !== 'GET' && req.method !== 'HEAD') ||
      NOT_PAGES.test(req.path) ||
      req.path.startsWith('/assets/')
    ) {
      next();
      return;
    }
    if (!fs.existsSync(index)) {
      res
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('Les pages web ne sont pas construites : lancez « npm run build:web ».');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  };
  return { assets, page };
}
