import { UnknownCategoryError } from '../errors.js'
import type { VectorStore } from './vector-store.js'

/** Throws a 400 naming the index's categories when `category` is not one of them (the store reads them once, at open). */
export function checkCategory (store: VectorStore, category: string | undefined): void {
  if (category === undefined) return
  const known = store.categories()
  if (!known.includes(category)) throw new UnknownCategoryError(category, known.join(', '))
}
