// What the storefront says when the API refuses something: one sentence written for people per
// error code, and one per HTTP status when the code has none. The API's codes, titles ("Unauthorized")
// and schema messages ("Input should be a valid integer") are for programs; the code travels in
// the page's data (data-code), never as the text people read.

/** A sentence per code the API gives, for a whole refusal or for one field. */
export const SENTENCES = {
  // Accounts and access.
  unauthorized: 'Please sign in to continue.',
  forbidden: 'Your account is not allowed to do this.',
  weak_password: 'Choose a longer password that is harder to guess.',
  password_too_short: 'Use at least 12 characters.',
  password_too_long: 'This password is too long.',
  password_is_email: 'Your password must not be your email address.',
  // Requests.
  not_found: 'This could not be found. It may have been removed.',
  validation_failed: 'Some details need correcting.',
  rules_violated: 'Some details need correcting first.',
  bad_request: 'This request could not be understood. Reload the page and try again.',
  malformed_json: 'This request could not be understood. Reload the page and try again.',
  body_required: 'This request could not be understood. Reload the page and try again.',
  invalid_characters: 'Remove the special characters from this text.',
  control_character: 'Remove the special characters from this text.',
  invalid_state: 'This cannot be done at this stage. Reload the page to see where things stand.',
  concurrent_update: 'This changed in another window. Reload the page and try again.',
  too_many_requests: 'Too many attempts. Wait a moment, then try again.',
  rate_limited: 'Too many attempts. Wait a moment, then try again.',
  // Makers and their listings.
  maker_not_approved: 'Your shop needs to be approved before you can do this.',
  reapply_too_soon: 'You can apply again a little later.',
  note_required: 'Write a note to the maker: say what to change, or why.',
  decision_required: 'Choose a decision: approve, request changes or reject.',
  reason_required: 'Say why.',
  reason_too_long: 'This reason is too long.',
  title_required: 'Give the piece a title.',
  description_required: 'Describe the piece.',
  category_required: 'Choose a category.',
  price_required: 'Give the piece a price.',
  price_invalid: 'Enter an amount such as 450 or 450.00.',
  production_required: 'Say how the piece is made: one of a kind, made to order or ready to ship.',
  images_required: 'Add at least one photograph before publishing.',
  photos_required: 'Add at least one photograph before publishing.',
  production_kind_locked: 'How the piece is made cannot change once it has sold.',
  stock_not_applicable: 'Only ready-to-ship pieces have stock.',
  listing_unavailable: 'This piece is no longer available.',
  option_not_offered: 'The maker does not offer this option.',
  out_of_stock: 'Not enough of this piece is left.',
  engraving_too_long: 'The engraving is too long.',
  // Orders and parcels.
  order_empty: 'Your basket is empty.',
  payment_token_required: 'Enter your card details.',
  postcode_invalid: 'Enter a UK postcode such as SW1A 1AA.',
  invalid_country: 'Choose a country from the list.',
  destination_not_shipped: 'A maker in your basket does not post to this country.',
  currency_mismatch: 'The prices in your basket changed. Reload the page and try again.',
  quantity_invalid: 'Enter a quantity of 1 or more.',
  tracking_required: 'Enter the carrier and tracking number.',
  quality_check_required: 'Record the quality check before sending the parcel.',
  quality_check_inconsistent: 'Measure each ring once.',
  ring_size_mismatch: 'The measured size does not match the size ordered.',
  already_dispatched: 'This parcel has already been sent.',
  not_delivered: 'This parcel has not been delivered yet.',
  already_refunded: 'This has already been refunded.',
  decline_reason_required: 'Say why you are declining this order.',
  notes_too_long: 'These notes are too long.',
  note_too_long: 'This note is too long.',
  // Commissions.
  brief_required: 'Describe the piece you would like made.',
  brief_too_long: 'This brief is too long.',
  budget_invalid: 'Enter an amount such as 250 or 250.50.',
  deadline_in_past: 'Choose a date in the future.',
  // Search.
  invalid_amount: 'Enter an amount such as 25 or 25.50.',
  price_range_invalid: 'The lowest price must not be more than the highest.',
  // The schema's own checks (pydantic's error types).
  missing: 'Please fill this in.',
  required: 'Please fill this in.',
  string_too_short: 'Please fill this in.',
  string_too_long: 'This is too long.',
  string_type: 'Enter text here.',
  string_pattern_mismatch: 'This is not in the expected form.',
  int_parsing: 'Enter a whole number.',
  int_type: 'Enter a whole number.',
  int_from_float: 'Enter a whole number.',
  float_parsing: 'Enter a number.',
  decimal_parsing: 'Enter a number.',
  greater_than: 'This number is too small.',
  greater_than_equal: 'This number is too small.',
  less_than: 'This number is too large.',
  less_than_equal: 'This number is too large.',
  bool_parsing: 'Choose yes or no.',
  literal_error: 'Choose one of the options.',
  enum: 'Choose one of the options.',
  uuid_parsing: 'This link is not valid.',
  url_parsing: 'Enter a full web address, starting with https://.',
  invalid_url: 'Enter a full web address, starting with https://.',
  value_error: 'This value is not accepted.',
  date_parsing: 'Enter a date.',
  date_from_datetime_parsing: 'Enter a date.',
  too_long: 'There are too many of these.',
  too_short: 'Add at least one.',
  extra_forbidden: 'This field is not expected.',
};

/** The title of a refusal by its HTTP status, when nothing better is known. */
export function statusSentence(status) {
  if (status === 0) return 'We could not reach the marketplace.';
  if (status === 400) return 'This request could not be understood. Reload the page and try again.';
  if (status === 401) return 'Please sign in to continue.';
  if (status === 403) return 'Your account is not allowed to do this.';
  if (status === 404) return 'This could not be found. It may have been removed.';
  if (status === 409) return 'This cannot be done right now. Reload the page to see where things stand.';
  if (status === 413) return 'This is too large to send.';
  if (status === 415) return 'This kind of file is not accepted.';
  if (status === 422) return 'Some details need correcting.';
  if (status === 429) return 'Too many attempts. Wait a moment, then try again.';
  if (status >= 500) return 'Something went wrong on our side. Please try again in a moment.';
  return 'This could not be done. Please try again.';
}

// The API's own titles: HTTP words, not sentences for people.
const HTTP_TITLES = new Set([
  'unauthorized', 'forbidden', 'not found', 'conflict', 'bad request', 'validation failed',
  'unprocessable entity', 'too many requests', 'unsupported media type', 'payload too large',
  'internal server error', 'service unavailable', 'method not allowed', 'gone',
]);
// Schema messages and summaries written for programs ("Input should be…", "Rules violated: …").
const MACHINE_PHRASES = /^(input should|field required|value error|string should|list should|rules violated|url should|uuid input|extra inputs|\d+ invalid field)/i;
const SNAKE_CASE = /\b[a-z0-9]+_[a-z0-9_]+\b/;
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i;

/** True for text meant for a program: a code, an HTTP title or a schema message. */
export function isMachineText(text) {
  const value = String(text ?? '').trim();
  if (!value) return true;
  return HTTP_TITLES.has(value.toLowerCase()) || MACHINE_PHRASES.test(value) || SNAKE_CASE.test(value) || UUID.test(value);
}

/**
 * `text` when it already reads as a sentence (the API's messages for people, or a page's own),
 * else the sentence for `code`, else `fallback`.
 */
export function sentence(code, text, fallback) {
  if (!isMachineText(text)) return text;
  if (code && SENTENCES[code]) return SENTENCES[code];
  return fallback;
}

/** One field's error in words; its code stays on it for the page's data. */
export function fieldError(entry) {
  return { ...entry, msg: sentence(entry.code, entry.msg, 'This value is not accepted.') };
}

/**
 * A refusal in words: {title, detail, errors}. The title says what kind of refusal it is (the
 * page's own title when it gave one), the detail what to do (empty when the field errors say it).
 */
export function inWords(status, problem = {}) {
  const errors = (Array.isArray(problem.errors) ? problem.errors : []).map(fieldError);
  const title = isMachineText(problem.title) ? statusSentence(status) : problem.title;
  const fallback = errors.length ? '' : (title === statusSentence(status) ? '' : statusSentence(status));
  let detail = sentence(problem.code, problem.detail, fallback);
  if (detail === title) detail = '';
  return { title, detail, errors };
}
