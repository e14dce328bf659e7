/** Who is calling with a partner key: resolved from the key, never from the request. */
export interface PartnerActor {
  partnerId: string;
  apiKeyId: string;
  apiKeyPrefix: string;
}
