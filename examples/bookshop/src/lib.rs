//! The bookshop: oxapi's second example.
//!
//! Where `hello` is the smallest service, this one is laid out as a real one is: routers per
//! resource under `/v1`, tower-http layers (CORS, compression), an API-key dependency on the
//! routes that write, and every kind of rule a model field or a parameter can carry — each
//! enforced and stated in the document (`openapi.json`, checked in).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use oxapi::http::request::Parts;
use oxapi::prelude::*;
use oxapi::security::{ApiKey, ApiKeyLocation, ApiKeyName, AuthError};
use oxapi::{ContactInfo, FromRequestParts, OperationDoc, RequestContext};
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;

/// What a book is about.
#[model]
#[serde(rename_all = "lowercase")]
#[derive(Copy, PartialEq, Eq)]
pub enum Genre {
    Fiction,
    Science,
    History,
}

/// Someone who writes books.
#[model]
pub struct Author {
    /// The author's id.
    pub id: u32,
    /// The name on the cover.
    pub name: String,
    /// Where readers can write to.
    pub email: Option<String>,
}

/// A new author.
#[model]
pub struct NewAuthor {
    /// The name on the cover.
    #[validate(length(min = 1, max = 60))]
    pub name: String,
    /// Where readers can write to: an address with an `@`.
    #[validate(length(min = 3, max = 254), contains(pattern = "@"))]
    pub email: Option<String>,
}

/// A book on the shelf.
#[model]
pub struct Book {
    /// The book's id.
    pub id: u32,
    /// The title.
    pub title: String,
    /// Who wrote it.
    pub author_id: u32,
    /// What it is about.
    pub genre: Genre,
    /// The price, in euros.
    pub price: f64,
    /// Free tags.
    pub tags: Vec<String>,
    /// The year it came out (negative: before the common era).
    pub year: i32,
}

/// A new book.
#[model]
pub struct NewBook {
    /// The title.
    #[validate(length(min = 1, max = 120))]
    pub title: String,
    /// Who wrote it: an existing author.
    #[validate(range(min = 1))]
    pub author_id: u32,
    /// What it is about.
    pub genre: Genre,
    /// The price, in euros: more than nothing.
    #[validate(range(exclusive_min = 0.0, max = 10000.0))]
    pub price: f64,
    /// Free tags, at most five.
    #[serde(default)]
    #[validate(length(max = 5))]
    pub tags: Vec<String>,
    /// The year it came out.
    #[validate(range(min = -3000, max = 2100))]
    pub year: i32,
}

/// One page of books.
#[model]
pub struct BookPage {
    /// The books on this page.
    pub items: Vec<Book>,
    /// How many books match, on every page.
    pub total: usize,
}

/// What a reader's client says about itself.
#[model]
pub struct ClientHeaders {
    /// The client's own name for this request, echoed back.
    #[validate(length(min = 1, max = 64))]
    pub x_request_id: Option<String>,
}

/// The reader's preferences, kept in cookies.
#[model]
pub struct Preferences {
    /// Books per page the reader likes.
    #[validate(range(min = 1, max = 100))]
    pub page_size: Option<u32>,
}

/// Who is asking, as far as the shop knows.
#[model]
pub struct Reader {
    /// The client's request id, if it sent one.
    pub request_id: Option<String>,
    /// Books per page.
    pub page_size: u32,
}

/// The shop's books and authors.
#[derive(Debug, Default)]
pub struct Shelf {
    authors: BTreeMap<u32, Author>,
    books: BTreeMap<u32, Book>,
    next_id: u32,
}

/// The shelf, shared by every request.
#[derive(Debug, Default)]
pub struct Shop(Mutex<Shelf>);

impl Shop {
    /// A shop with a few books.
    pub fn stocked() -> Self {
        let mut shelf = Shelf::default();
        let author = shelf.add_author(NewAuthor {
            name: "Ursula K. Le Guin".into(),
            email: None,
        });
        for (title, genre, year) in [
            ("The Dispossessed", Genre::Fiction, 1974),
            ("The Left Hand of Darkness", Genre::Fiction, 1969),
        ] {
            shelf.add_book(NewBook {
                title: title.into(),
                author_id: author.id,
                genre,
                price: 12.5,
                tags: vec!["classic".into()],
                year,
            });
        }
        Self(Mutex::new(shelf))
    }

    fn shelf(&self) -> MutexGuard<'_, Shelf> {
        // Nothing can be left half-written under the lock: a panic there leaves the shelf valid.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Shelf {
    fn next_id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    fn add_author(&mut self, new: NewAuthor) -> Author {
        let id = self.next_id();
        let author = Author {
            id,
            name: new.name,
            email: new.email,
        };
        self.authors.insert(id, author.clone());
        author
    }

    fn add_book(&mut self, new: NewBook) -> Book {
        let id = self.next_id();
        let book = Book {
            id,
            title: new.title,
            author_id: new.author_id,
            genre: new.genre,
            price: new.price,
            tags: new.tags,
            year: new.year,
        };
        self.books.insert(id, book.clone());
        book
    }
}

/// The API key writers send, in the `x-api-key` header.
#[derive(Debug)]
pub struct WriteKey;

impl ApiKeyName for WriteKey {
    const NAME: &'static str = "x-api-key";
    const LOCATION: ApiKeyLocation = ApiKeyLocation::Header;
    const DESCRIPTION: Option<&'static str> = Some("Your API key.");
}

/// The key this example accepts; a real shop would look keys up in its database.
pub const DEMO_API_KEY: &str = "key-of-the-tests";

/// A caller allowed to write: one that sends a known API key.
#[derive(Debug, Clone)]
pub struct Writer;

impl FromRequestParts for Writer {
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &RequestContext<'_>,
    ) -> Result<Self, AuthError> {
        // No key: a 401 with `WWW-Authenticate: APIKey`, from the extractor.
        let key = ApiKey::<WriteKey>::from_request_parts(parts, ctx).await?;
        // Compared in constant time, so response times tell nothing of the key.
        if key.matches(DEMO_API_KEY) {
            Ok(Writer)
        } else {
            Err(AuthError::unauthorized("APIKey", "unknown API key"))
        }
    }

    /// The key's scheme, as the extractor documents it: `components.securitySchemes` and
    /// each write operation's `security`.
    fn describe(op: &mut OperationDoc<'_>) {
        ApiKey::<WriteKey>::describe(op);
    }
}

/// List the books, a page at a time.
#[get("", tags = ["books"])]
pub fn list_books(
    shop: State<Shop>,
    /// How many books per page.
    #[query(default = 20, range(min = 1, max = 100))]
    limit: u32,
    /// How many books to skip.
    #[query(default = 0, range(max = 1_000_000))]
    offset: u32,
    /// Words in the title.
    #[query(
        length(min = 1, max = 40),
        pattern = "^[A-Za-z0-9 ]+$",
        example = "left hand"
    )]
    q: Option<String>,
    /// Only books of this genre.
    #[query]
    genre: Option<Genre>,
    /// Only books costing less than this.
    #[query(range(exclusive_min = 0.0))]
    max_price: Option<f64>,
) -> Json<BookPage> {
    let shelf = shop.shelf();
    let query = q.map(|q| q.to_lowercase());
    let matching: Vec<&Book> = shelf
        .books
        .values()
        .filter(|book| genre.is_none_or(|genre| book.genre == genre))
        .filter(|book| max_price.is_none_or(|max| book.price < max))
        .filter(|book| {
            query
                .as_deref()
                .is_none_or(|q| book.title.to_lowercase().contains(q))
        })
        .collect();
    Json(BookPage {
        total: matching.len(),
        items: matching
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .cloned()
            .collect(),
    })
}

/// Read one book.
#[get("/{book_id}", tags = ["books"], responses(404 = "No such book"))]
pub fn read_book(
    shop: State<Shop>,
    /// The book's id.
    #[path(range(min = 1))]
    book_id: u32,
) -> Result<Json<Book>, ApiError> {
    shop.shelf()
        .books
        .get(&book_id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no book {book_id}")))
}

/// Put a new book on the shelf.
#[post("", tags = ["books"], status = 201, responses(404 = "No such author"))]
pub fn create_book(shop: State<Shop>, book: Json<NewBook>) -> Result<Json<Book>, ApiError> {
    let mut shelf = shop.shelf();
    if !shelf.authors.contains_key(&book.author_id) {
        return Err(ApiError::not_found(format!("no author {}", book.author_id)));
    }
    Ok(Json(shelf.add_book(book.0)))
}

/// Take a book off the shelf.
#[delete("/{book_id}", tags = ["books"], responses(404 = "No such book"))]
pub fn delete_book(
    shop: State<Shop>,
    /// The book's id.
    #[path(range(min = 1))]
    book_id: u32,
) -> Result<NoContent, ApiError> {
    match shop.shelf().books.remove(&book_id) {
        Some(_) => Ok(NoContent),
        None => Err(ApiError::not_found(format!("no book {book_id}"))),
    }
}

/// List the authors.
#[get("", tags = ["authors"])]
pub async fn list_authors(shop: State<Shop>) -> Json<Vec<Author>> {
    Json(shop.shelf().authors.values().cloned().collect())
}

/// Add an author.
#[post("", tags = ["authors"], status = 201)]
pub async fn create_author(shop: State<Shop>, author: Json<NewAuthor>) -> Json<Author> {
    Json(shop.shelf().add_author(author.0))
}

/// Who is asking: what the client's headers and cookies say.
#[get("/me", tags = ["readers"])]
pub async fn me(headers: Header<ClientHeaders>, cookies: Cookie<Preferences>) -> Json<Reader> {
    Json(Reader {
        request_id: headers.0.x_request_id,
        page_size: cookies.0.page_size.unwrap_or(20),
    })
}

/// The service.
pub fn app() -> App {
    let books = Router::new()
        .prefix("/books")
        .routes(routes![list_books, read_book]);
    // Writing needs an API key: the dependency runs before each of these routes and is
    // documented on each.
    let book_writes = Router::new()
        .prefix("/books")
        .dependency::<Writer>()
        .routes(routes![create_book, delete_book]);
    let authors = Router::new()
        .prefix("/authors")
        .routes(routes![list_authors]);
    let author_writes = Router::new()
        .prefix("/authors")
        .dependency::<Writer>()
        .routes(routes![create_author]);
    App::new()
        .title("Bookshop API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(
            "oxapi's second example: routers under `/v1`, CORS and compression layers, an \
             API-key dependency on the routes that write, and rules on every model field and \
             parameter, each enforced as documented.",
        )
        .tag("books", "The books on the shelf.")
        .tag("authors", "Who wrote them.")
        .tag("readers", "Who is asking.")
        .server(
            "http://127.0.0.1:8000",
            "A local run of `cargo run -p bookshop`.",
        )
        .contact(ContactInfo {
            name: Some("oxapi".into()),
            url: None,
            email: None,
        })
        .state(Shop::stocked())
        .router(
            Router::new()
                .prefix("/v1")
                .nest(books)
                .nest(book_writes)
                .nest(authors)
                .nest(author_writes)
                .routes(routes![me]),
        )
        .layer(CorsLayer::permissive())
        .layer(CompressionLayer::new())
}
