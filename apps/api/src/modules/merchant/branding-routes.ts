import type { EntityManager } from '@mikro-orm/postgresql';
import express, { type Router } from 'express';
import { isUuid } from '../../domain/tokens.js';
import { Merchant } from './merchant.entity.js';
import { MerchantLogo } from './merchant-logo.entity.js';

/** Nothing in an SVG served here may run or load: no scripts, no external resources; inline styles only. */
const SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'";

/**
 * GET /branding/<merchant>/logo-<digest>.<ext>: a merchant's logo, public (the checkout pages show it).
 * The digest names one version of the logo, so that URL is cached for a year; an older URL (a page
 * still open when the logo changed) gets the current logo, cached briefly.
 */
export function brandingRouter(em: () => EntityManager): Router {
  const router = express.Router();
  router.get('/branding/:merchantId/:file', async (req, res, next) => {
    try {
      const match = /^logo-([0-9a-f]{32})\.(png|jpg|svg)$/.exec(req.params.file);
      if (!match || !isUuid(req.params.merchantId))
        return void res.status(404).json({ error: { code: 'NOT_FOUND', message: 'No such logo' } });
      const fork = em();
      const merchant = await fork.findOne(Merchant, { id: req.params.merchantId }, { fields: ['id', 'logoDigest', 'logoContentType'] });
      const logo = merchant?.logoDigest ? await fork.findOne(MerchantLogo, { merchant: merchant.id }) : null;
      if (!merchant?.logoDigest || !logo) return void res.status(404).json({ error: { code: 'NOT_FOUND', message: 'No such logo' } });
      const current = merchant.logoDigest.startsWith(match[1]);
      res.setHeader('Content-Type', logo.contentType);
      res.setHeader('Cache-Control', current ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      res.setHeader('Content-Security-Policy', SVG_POLICY);
      res.setHeader('Content-Disposition', 'inline');
      res.send(logo.data);
    } catch (error) {
      next(error);
    }
  });
  return router;
}
