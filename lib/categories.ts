import { UnknownCategoryError } from './errors.js'
import type { VectorStore } from './vector-store.js'

// Per store: a reload swaps the store, and with it the categories.
const cache = new WeakMap<VectorStore, readonly string[]>()

/** The categories the documents of this index belong to, sorted. */
export function knownCategories (store: VectorStore): readonly string[] {
  let categories = cache.get(store)
  if (categories === undefined) {
    categories = store.categories()
    cache.set(store, categories)
  }
  return categories
}

/** Throws a 400 naming the known categories when `category` is not one of them. */
export function checkCategory (store: VectorStore, category: string | undefined): void {
  if (category === undefined) return
  const known = knownCategories(store)
  if (!known.includes(category)) throw new UnknownCategoryError(category, known.join(', '))
}
