"""The original FastAPI design of Postboard, reproduced for the side-by-side benchmark
(bench/README.md: create_text_fastapi, vote_fastapi). Plain on purpose: FastAPI + the
SQLAlchemy 2 ORM as in FastAPI's own SQL tutorial, a sync Session per request through
Depends(get_db), one commit per create or vote. Not tuned.

  DATABASE_URL=postgresql+psycopg://user:password@host:port/db \
      uvicorn app:app --workers 2 --no-access-log

The bench runs it with 2 worker processes: the machine has 2 cores (bench/harness.py,
Bench.start_fastapi). The table is made by Base.metadata.create_all when this module is
imported (the harness imports it once before starting uvicorn, so that the two workers do not
race to create it).
"""
import os
from datetime import datetime
from typing import Annotated, Optional

from fastapi import Depends, FastAPI, File, Form, HTTPException, UploadFile
from pydantic import BaseModel, ConfigDict
from sqlalchemy import DateTime, String, Text, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

engine = create_engine(os.environ["DATABASE_URL"])
SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)


class Base(DeclarativeBase):
    pass


class Post(Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True, index=True)
    title: Mapped[str] = mapped_column(String(100))
    post: Mapped[str] = mapped_column(Text)
    username: Mapped[str] = mapped_column(String(50), default="anonymous")
    score: Mapped[int] = mapped_column(default=0)
    image_hash: Mapped[Optional[str]] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())


Base.metadata.create_all(bind=engine)


class PostOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    post: str
    username: str
    score: int
    image_hash: Optional[str]
    created_at: datetime


class Vote(BaseModel):
    post_id: int
    score_increase: int


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


app = FastAPI()


@app.get("/post", response_model=list[PostOut])
def read_posts(skip: int = 0, limit: int = 50, db: Session = Depends(get_db)):
    return db.scalars(select(Post).order_by(Post.id.desc()).offset(skip).limit(limit)).all()


@app.post("/post", response_model=PostOut, status_code=201)
def create_post(
    title: Annotated[str, Form()],
    post: Annotated[str, Form()],
    username: Annotated[str, Form()] = "anonymous",
    file: Annotated[Optional[UploadFile], File()] = None,
    db: Session = Depends(get_db),
):
    # The original stored the image in MinIO; the benchmark creates text posts only, so the
    # image path is left out of this reproduction: a post with an image is answered 501.
    if file is not None and file.filename:
        raise HTTPException(status_code=501, detail="images are not part of this reproduction")
    db_post = Post(title=title, post=post, username=username or "anonymous")
    db.add(db_post)
    db.commit()
    db.refresh(db_post)
    return db_post


@app.post("/update-post-score", response_model=PostOut)
def update_post_score(vote: Vote, db: Session = Depends(get_db)):
    # As the ORM does it: read the post, add to its score in Python, commit (an UPDATE of the
    # new value), read it back. Two votes on one post at once can lose one (no row lock).
    db_post = db.get(Post, vote.post_id)
    if db_post is None:
        raise HTTPException(status_code=404, detail="Post not found")
    db_post.score += vote.score_increase
    db.commit()
    db.refresh(db_post)
    return db_post
