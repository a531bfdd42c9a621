/** Policies past their review date: flagged in /documents and counted by a gauge, so stale policies are seen. */

/** Today's date in UTC as YYYY-MM-DD, the form review dates are stored in. */
export function isoDay (now: Date): string {
  return now.toISOString().slice(0, 10)
}

/** True once the review date has passed (a policy due for review today is not yet overdue). */
export function isPastReview (reviewDate: string | null | undefined, now: Date): boolean {
  return typeof reviewDate === 'string' && reviewDate < isoDay(now)
}

export function countPastReview (documents: ReadonlyArray<{ review_date: string | null }>, now: Date): number {
  return documents.filter((d) => isPastReview(d.review_date, now)).length
}
