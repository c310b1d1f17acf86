"""Services the API routes and the pages call: they check scope and return plain data; SQL stays in
signalroom.store."""
