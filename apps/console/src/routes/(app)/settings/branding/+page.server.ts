import {
  ConsoleMerchantSettingsDocument,
  ConsoleUpdateMerchantSettingsDocument,
  type MerchantSettingsInput,
} from '@kometpay/schema/merchant';
import { apiBaseUrl, merchantApi } from '$lib/server/api';
import { attempt, FieldProblem, required, textFields } from '$lib/server/forms';
import type { Actions, PageServerLoad } from './$types';

const MAX_LOGO_BYTES = 200 * 1024;
const LOGO_TYPES = new Set(['image/png', 'image/jpeg', 'image/svg+xml']);

/**
 * How customers see the merchant: name, support address, accent colour, logo. The logo is shown here
 * as a data: URL read by the console's server from the API, so that the page loads images from itself only.
 */
export const load: PageServerLoad = async (event) => {
  const { merchant } = await merchantApi(event).request(ConsoleMerchantSettingsDocument);
  let logo: string | null = null;
  if (merchant.settings.logoUrl) {
    const path = new URL(merchant.settings.logoUrl).pathname;
    const response = await fetch(`${apiBaseUrl()}${path}`).catch(() => null);
    if (response?.ok) {
      const type = response.headers.get('content-type')?.split(';')[0] ?? 'image/png';
      if (LOGO_TYPES.has(type)) logo = `data:${type};base64,${Buffer.from(await response.arrayBuffer()).toString('base64')}`;
    }
  }
  return { settings: merchant.settings, logo };
};

export const actions: Actions = {
  /** Supervised: changing where customers' replies go is as sensitive as the vault. */
  save: async (event) => {
    const data = await event.request.formData();
    const values = textFields(data);
    values.logo = '';
    return attempt(
      'branding',
      values,
      async () => {
        const input: MerchantSettingsInput = {
          displayName: required(values, 'displayName', 'Enter the name customers see.'),
          supportEmail: values.supportEmail || null,
          accentColor: values.accentColor || null,
        };
        const file = data.get('logo');
        if (file instanceof File && file.size > 0) {
          if (!LOGO_TYPES.has(file.type)) throw new FieldProblem('logo', 'Choose a PNG, JPEG or SVG image.');
          if (file.size > MAX_LOGO_BYTES) throw new FieldProblem('logo', 'Choose an image of at most 200 KB.');
          input.logo = `data:${file.type};base64,${Buffer.from(await file.arrayBuffer()).toString('base64')}`;
        } else if (values.removeLogo === 'on') {
          input.logo = null;
        }
        await merchantApi(event, { supervised: true }).request(ConsoleUpdateMerchantSettingsDocument, { input });
        return { form: 'branding', done: 'Branding saved: the next emails and pay pages show it.' };
      },
      (field) => {
        const name = field.split('.').pop() ?? '';
        return name === 'logo' ? 'logo' : name;
      },
    );
  },
};
