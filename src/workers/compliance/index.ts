/**
 * Pure building blocks of the compliance worker's rules: party-name matching and
 * watch-list screening, dated currency conversion, and thresholds read from policy
 * text. No I/O here: callers hand in text and tables they have read.
 */
export { currencyCode } from './currency.js';
export { DEFAULT_NAME_THRESHOLD, matchName, normalizeName, tokensAlike, type NameMatch, type NormalizedName } from './names.js';
export { findPolicyThresholds, parseAmount, type PolicyThreshold } from './policy-thresholds.js';
export { convert, DEFAULT_MAX_RATE_AGE_DAYS, parseRates, type Conversion, type RatePoint, type RateTable } from './rates.js';
export {
  entriesFromLines,
  entriesFromTable,
  findNameColumn,
  watchListEntry,
  WatchListIndex,
  type ListedName,
  type ScreeningHit,
  type WatchListEntry,
} from './watch-list.js';
