"""The sandbox bank's own HTML pages (login and consent), in ar, pl and en."""
