"""Pages of requests and leads: filing and the request page, the bank's lead inbox, township and district dashboards, overdue list, products and routing weights, resubmitting declines."""
