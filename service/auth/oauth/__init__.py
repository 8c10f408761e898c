"""Social login: X, Facebook and the development provider, through Authlib's OAuth 2 client.

`providers` (which providers are offered, how to read their profiles), `returnto` (where a login
may send the reader back), `transactions` (the one-time login transaction in Redis), `client`
(every call to a provider), `ratelimit`, `pages` (the popup and error pages) and `handlers` (the
routes). Only `handlers`, `pages` and `ratelimit.check` know about aiohttp.
"""
