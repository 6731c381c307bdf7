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
  token_invalid: 'This link has been used already or has expired. Ask for a new one.',
  email_unverified: 'Confirm your email address first: follow the link in the email we sent you.',
  refresh_token_reused: 'Your session has ended. Please sign in again.',
  refresh_token_invalid: 'Your session has ended. Please sign in again.',
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
  // Conversations between customers and makers (pages/messages.js).
  subject_required: 'Say what you are writing about: a piece, an order or a commission.',
  order_not_found: 'We could not find this order among yours.',
  commission_not_found: 'We could not find this commission among yours.',
  listing_not_found: 'This piece is not on sale any more, so its maker cannot be written to from here.',
  maker_required: 'This order is from several makers: write to one of them from the order page.',
  maker_not_in_order: 'This maker did not make what you are asking about.',
  message_required: 'Write a message first.',
  message_too_long: 'This message is too long: 2,000 characters at most.',
};

/**
 * The sentences a code takes where a page says it more closely than SENTENCES does, by where it is
 * met: a return's refusal says what can still be returned, a shipping form's which area to tick.
 * A page with a place here reads only that place's sentences (its own fallback covers the rest);
 * an entry written as SENTENCES.x says the same as everywhere else.
 */
export const SENTENCES_AT = {
  // Requesting, refunding and rejecting a return (components/returns.js).
  returns: {
    not_delivered: 'This parcel has not been delivered yet, so nothing in it can be returned.',
    return_window_closed: 'The time to return this piece for that reason has passed.',
    return_not_allowed: 'This piece was personalised for you, so it can be returned only if it is faulty or not as described.',
    quantity_exceeds_returnable: 'That is more than you can still return: some may already be on their way back or refunded.',
    one_parcel_per_return: 'Each parcel goes back to its own maker: return the pieces of one parcel at a time.',
    return_empty: 'Choose how many of each piece you are sending back.',
    unknown_line: 'That piece is not part of this order.',
    duplicate_line: 'Each piece can be listed only once.',
    quantity_invalid: 'Choose how many of each piece you are sending back.',
    note_too_long: 'The note is too long: 2,000 characters at most.',
    enum: 'Choose why you are returning it.',
    reason_required: 'Say why the return is rejected.',
    reason_too_long: 'The reason is too long: 1,000 characters at most.',
    already_refunded: 'The whole parcel has already been refunded, so there is nothing more to refund for this return.',
    invalid_state: 'This return has already been dealt with. Reload the page to see where it stands.',
    refund_exceeds_captured: 'This refund would be more than the customer paid. Please contact support.',
    not_found: 'This return could not be found.',
  },
  // Writing, answering and hiding reviews (components/reviews.js).
  reviews: {
    not_purchased: 'Only the customer who received this piece can review it.',
    not_delivered: 'You can review this piece once it has been delivered.',
    review_window_closed: 'Pieces can be reviewed for 100 days after delivery; that time has passed.',
    already_reviewed: 'You have already reviewed this piece from this order.',
    already_replied: 'You have already replied to this review.',
    image_not_owned: 'Choose a photo you uploaded yourself.',
    image_not_ready: 'That photo is still being prepared. Try again in a moment.',
    duplicate_photo: 'Each photo can be added once.',
  },
  // A photo the media service refused or could not process (the listing editor's photo manager).
  photo_upload: {
    unsupported_media_type: 'This file is not a photo we can use. Upload a JPEG, PNG, WebP or HEIC photo.',
    payload_too_large: 'This file is larger than 20 MB. Export a smaller copy of the photo and upload that.',
    image_too_large: 'This photo has more than 50 megapixels. Resize it to a smaller size and upload it again.',
    image_too_small: 'This photo is too small: it needs at least 800 pixels on its shorter side.',
    image_corrupt: 'This file could not be read as a photo; it may be damaged. Export it again and upload the new copy.',
  },
  // The catalogue's rules about photos when a listing is published (3 to 200 characters of alt
  // text: the photo manager's ALT_MIN and ALT_MAX).
  photo_publish: {
    photos_required: SENTENCES.photos_required,
    photo_not_ready: 'A photograph is still being processed. Wait until its thumbnail shows, then publish again.',
    alt_text_required: 'Describe each photograph in 3 to 200 characters, for people who cannot see it.',
    photo_not_found: 'A photograph could not be found. Remove it and upload it again.',
  },
  // An approved maker's record: sponsor's mark, declarations and sourcing claims (pages/maker/record.js).
  maker_record: {
    checklist_sponsor_mark: 'Working in gold, silver, platinum or palladium needs your registered sponsor\'s mark and its assay office.',
    checklist_system_of_warranties: 'Selling natural diamonds needs your System of Warranties attestation.',
    string_pattern_mismatch: 'Use 2 to 5 capital letters, exactly as registered with the assay office.',
    vat_number_invalid: 'Enter your UK VAT number as GB followed by its 9 digits (12 for a branch), exactly as on your VAT registration certificate.',
    evidence_url_not_https: 'Evidence links must start with https:// so customers and our team can open them safely.',
    invalid_url: SENTENCES.invalid_url,
    url_parsing: SENTENCES.url_parsing,
    date_from_datetime_parsing: 'Enter the expiry date as a date.',
    date_parsing: 'Enter the expiry date as a date.',
    string_too_long: SENTENCES.string_too_long,
    string_too_short: SENTENCES.string_too_short,
    too_long: 'You can hold at most 20 sourcing claims.',
    control_character: SENTENCES.control_character,
    literal_error: SENTENCES.literal_error,
    missing: SENTENCES.missing,
    required: SENTENCES.required,
    invalid_state: 'Your shop\'s current status does not allow this change.',
    concurrent_update: 'Your record changed in another window: reload the page and try again.',
  },
  // The maker's shipping profile (pages/maker/shipping.js).
  maker_shipping: {
    shipping_zones_required: 'Tick at least one area you ship to.',
    shipping_zone_repeated: 'Each area can be priced only once.',
    shipping_amount_negative: 'A shipping price cannot be less than zero.',
    shipping_currency_mixed: 'Give every shipping price in the same currency.',
    transit_days_invalid: 'Give the days in the post as whole working days from 1 to 60, the shorter first.',
    invalid_country: 'Choose the country you post your parcels from.',
    currency_invalid: 'Give the price in pounds (£).',
    currency_not_accepted: 'Give the price in pounds (£): the marketplace takes no other currency.',
    amount_invalid: 'Enter an amount such as 3.95, or 0 for free.',
    days_invalid: 'Enter a whole number of working days, such as 2.',
    int_type: SENTENCES.int_type,
    int_parsing: SENTENCES.int_parsing,
    string_too_long: 'Choose the country you post your parcels from.',
    string_too_short: 'Choose the country you post your parcels from.',
    literal_error: 'Choose one of the areas offered.',
    missing: SENTENCES.missing,
    required: SENTENCES.required,
    concurrent_update: 'Your record changed in another window: reload the page and try again.',
  },
  // The maker's statement download (pages/maker/payouts.js).
  payout_statement: {
    statement_range_invalid: 'The statement ends before it starts: choose a “to” date on or after the “from” date.',
  },
  // An operator starting a payout run (pages/ops-payouts.js).
  payout_run: {
    idempotency_request_in_flight: 'A payout run started a moment ago is still running. Wait for it to finish, then look at its result here.',
  },
};

/**
 * What the bell (components/bell.js), the notifications page (pages/notifications.js) and the
 * email preferences (components/email-preferences.js) say.
 */
export const NOTIFICATION_WORDS = {
  bell: 'Notifications',
  bellUnread: (count) => (count ? `Notifications, ${count} unread` : 'Notifications, none unread'),
  arrived: (count) => `You have ${count} unread notification${count === 1 ? '' : 's'}.`,
  title: 'Notifications',
  loading: 'Loading your notifications…',
  empty: 'Nothing yet. We will tell you here when an order moves on, a parcel is sent or something needs you.',
  unreadLabel: 'New',
  markRead: 'Mark as read',
  markAllRead: 'Mark all as read',
  allRead: 'Every notification is marked as read.',
  markFailed: 'That could not be marked as read. Please try again.',
  fresh: 'New notifications have arrived.',
  showFresh: 'Show them',
  preferencesLink: 'Choose which emails we send you',
  preferencesTitle: 'Emails we send you',
  preferencesLegend: 'Send me emails about',
  preferencesLoading: 'Loading your email choices…',
  savePreferences: 'Save email choices',
  saving: 'Saving…',
  preferencesSaved: 'Your email choices are saved.',
  alwaysSent: 'Receipts, refunds and emails about your account (confirming your email address, resetting your password) are always sent.',
  categories: {
    order_updates: { label: 'My orders', hint: 'When a parcel is sent or delivered, how a return is going, and when a maker writes to you.' },
    maker_orders: { label: 'Orders for my shop', hint: 'New orders, cancellations and returns of the pieces you sell, and when a customer writes to you.' },
    reviews: { label: 'Reviews', hint: 'A review of a piece you made, or a reminder to review one you received.' },
    marketing: { label: 'News and offers', hint: 'Now and then: new makers, collections and offers from Forge & Facet.' },
  },
};

/**
 * The sentence for `code`: where it is met (a key of SENTENCES_AT) when `place` is given, else
 * the general one. Undefined when there is none, so the caller's own fallback applies.
 */
export function words(code, place) {
  if (!code) return undefined;
  return (place ? SENTENCES_AT[place] : SENTENCES)[code];
}

/**
 * What the page says, above whatever it could show, while the API refuses the address as a
 * whole: too many requests from it (429), or a service not answering (503).
 */
export const API_REFUSED = {
  429: 'The shop is very busy just now, so parts of this page could not be shown. Wait a moment, then try again.',
  503: 'Part of the shop is not answering just now, so parts of this page could not be shown. Please try again in a moment.',
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
  return words(code) || fallback;
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

// The words of /messages (pages/messages.js): conversations between customers and makers.
export const MESSAGE_WORDS = {
  title: 'Messages',
  listTitle: 'Your conversations',
  loading: 'Loading your messages…',
  empty: {
    customer: 'No conversations yet. Write to a maker from a piece, an order or a commission with "Message the maker".',
    maker: 'No conversations yet. When a customer writes to you, it shows here.',
    operator: 'Nobody has written to anyone yet.',
  },
  unread: 'New',
  with: 'With',
  and: 'and',
  theMaker: 'the maker',
  theCustomer: 'the customer',
  you: 'You',
  allMessages: 'All messages',
  conversationWith: 'A conversation with',
  threadLabel: 'Messages, oldest first',
  earlierNotShown: 'Earlier messages are not shown here.',
  subjectLinks: { listing: 'See the piece', order: 'See the order', commission: 'See the commission' },
  replyTitle: 'Reply',
  replyLabel: 'Your reply',
  composeTitle: 'Message the maker',
  composeLabel: 'Your message',
  lengthHint: 'Up to 2,000 characters. The maker sees your message here and by email.',
  send: 'Send message',
  sending: 'Sending…',
  sent: 'Message sent.',
  about: 'About',
  order: 'order',
  aboutPiece: 'About a piece',
  aboutOrder: 'About your order',
  aboutCommission: 'About your commission',
  operatorsRead: 'Operators can read conversations, but only the customer and the maker write in them.',
  messageMaker: 'Message the maker',
  messageMakerNamed: (name) => `Message ${name}`,
};
