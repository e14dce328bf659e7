/** Who is calling the merchant schema: resolved from the API key, never from the request body. */
export interface MerchantActor {
  merchantId: string;
  apiKeyId: string;
  apiKeyPrefix: string;
}

/** Request facts written next to every audit row. */
export interface RequestMeta {
  requestId: string;
  ip?: string | null;
}
