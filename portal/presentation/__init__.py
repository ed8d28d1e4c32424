"""What the portal shows and hands out, built from the record: labels in the visitor's language, the party's view
(read model), CSV and Atom exports, the PDFs (closure report, aid decision) and the API's OpenAPI document."""
