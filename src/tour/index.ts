/** tour: the 2014 article's claims as data, measured on the backends it is given. */

export { ARTICLE_DIR, articleClaims, CLAIM_IDS, type Claim, type Verdict } from './claims.js';
export type { KernelObservation, Measurement, MeasureOptions, Observation } from './measurement.js';
export { type ClaimResult, runClaim, runTour, type TourOptions } from './run-tour.js';
