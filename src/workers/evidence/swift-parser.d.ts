/**
 * Types for @centrapay/swift-parser 1.x (CommonJS, ships none): only what the MT940
 * reader uses. Amounts are bignumber.js values (signed: credit +, debit −).
 */
declare module '@centrapay/swift-parser' {
  interface BigNumberLike {
    toNumber(): number;
    toFixed(): string;
    isNegative(): boolean;
  }
  export interface SwiftTransaction {
    /** Value date (UTC midnight). */
    date: Date;
    /** Entry (booking) date, built with the value date's year; '' when absent. */
    entryDate: Date | '';
    amount: BigNumberLike;
    isReversal: boolean;
    currency: string;
    details: string;
    detailSegments: string[];
    structuredDetails: Record<string, string> | undefined;
    transactionType: string;
    reference: string;
    bankReference: string;
    extraDetails: string;
    fundsCode: string;
  }
  export interface SwiftStatement {
    transactionReference: string;
    accountIdentification: string;
    currency: string;
    number: { statement: string; sequence: string; section: string };
    informationToAccountOwner: string;
    transactions: SwiftTransaction[];
  }
  const parser: { parse(opts: { type: 'mt940' | 'mt942'; data: string; validate?: boolean }): SwiftStatement[] };
  export default parser;
}
