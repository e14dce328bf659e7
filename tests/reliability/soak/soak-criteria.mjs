/** The soak's pass thresholds (issue 22: errors < 0.1%, RSS growth < 10%; the battery's lag limit). */
export const THRESHOLDS = { errorRate: 0.001, rssGrowth: 0.1, lagP99Ms: 50 };
